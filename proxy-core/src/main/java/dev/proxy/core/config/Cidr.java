package dev.proxy.core.config;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * A block of IP addresses, as written in {@code server.trustedProxies}: {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or
 * one address ({@code 192.0.2.7} is {@code 192.0.2.7/32}). Host bits below the prefix are ignored, as Go's
 * {@code netip.Prefix.Masked} and NGINX's {@code set_real_ip_from} do. Parsing never asks DNS: a name is refused.
 * Shown as written ({@code /config} and messages). Immutable and thread-safe.
 */
public final class Cidr {
    private final String text;
    private final byte[] network;
    private final int prefixLength;

    private Cidr(String text, byte[] network, int prefixLength) {
        this.text = text;
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /** Parses {@code text}; an {@link IllegalArgumentException} says what is wrong with it. */
    public static Cidr parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        String host = slash < 0 ? t : t.substring(0, slash);
        byte[] address = NetUtil.createByteArrayFromIpAddressString(host);
        if (address == null) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address or a CIDR block "
                    + "(examples: 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)");
        }
        address = canonical(address);
        int bits = address.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = t.substring(slash + 1);
            if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > bits) {
                throw new IllegalArgumentException("'" + text + "' has a prefix length that is not 0-" + bits);
            }
            prefix = Integer.parseInt(p);
        }
        return new Cidr(t, mask(address, prefix), prefix);
    }

    /** Whether {@code address} lies in this block; an IPv4 address is never in an IPv6 block, nor the reverse. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        return rest == 0 || ((a[full] ^ network[full]) & (0xff << (8 - rest))) == 0;
    }

    /** An IPv4-mapped IPv6 address ({@code ::ffff:10.0.0.1}) is its IPv4 address, as Java's sockets report it. */
    private static byte[] canonical(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);   // cannot happen: the length is 4 or 16
        }
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] m = address.clone();
        for (int i = 0; i < m.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            m[i] &= (byte) (0xff << (8 - keep));
        }
        return m;
    }

    public int prefixLength() {
        return prefixLength;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && prefixLength == c.prefixLength && Arrays.equals(network, c.network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefixLength;
    }

    @Override
    public String toString() {
        return text;
    }
}
