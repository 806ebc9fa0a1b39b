package dev.proxy.balancer.dns;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.resolver.dns.DnsCache;
import io.netty.resolver.dns.DnsCacheEntry;
import java.net.InetAddress;
import java.util.List;
import java.util.OptionalLong;

/**
 * A {@link DnsCache} that caches nothing (every refresh asks the servers) but notes the shortest TTL of the records
 * of the current resolution, which the address list of Netty's resolver does not carry. Confined to the resolver's
 * event loop: {@link #reset()} before a resolution, {@link #shortestTtl()} when it completes.
 */
final class TtlRecorder implements DnsCache {
    private long shortest = Long.MAX_VALUE;

    void reset() {
        shortest = Long.MAX_VALUE;
    }

    /** The shortest TTL in seconds seen since {@link #reset()}; empty when no record came. */
    OptionalLong shortestTtl() {
        return shortest == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(shortest);
    }

    @Override
    public void clear() {
    }

    @Override
    public boolean clear(String hostname) {
        return false;
    }

    @Override
    public List<? extends DnsCacheEntry> get(String hostname, DnsRecord[] additionals) {
        return null;
    }

    @Override
    public DnsCacheEntry cache(String hostname, DnsRecord[] additionals, InetAddress address, long originalTtl,
                               EventLoop loop) {
        shortest = Math.min(shortest, Math.max(0, originalTtl));
        return new Entry(address, null);
    }

    @Override
    public DnsCacheEntry cache(String hostname, DnsRecord[] additionals, Throwable cause, EventLoop loop) {
        return new Entry(null, cause);
    }

    private record Entry(InetAddress address, Throwable cause) implements DnsCacheEntry {
    }
}
