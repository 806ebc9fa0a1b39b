package dev.proxy.resilience.ratelimit;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.RedisConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The permits of global rate limits, counted in Redis by one atomic Lua script per draw: the script reads Redis's
 * clock, finds the period in force, grants what is left of the limit up to what was asked, and lets the counter
 * expire after two periods. One connection (Lettuce pipelines the calls of every event loop on it), and Lettuce's own
 * threads at its minimum (two for I/O, two for completions): a replica draws a few times per period per limit, not
 * per request, so sharing the proxy's event loops would save nothing worth the coupling.
 *
 * <p>Every call is bounded by {@code timeout}. While Redis is unreachable, calls fail at once (Lettuce rejects
 * commands while disconnected rather than queueing them) and the connection is re-established in the background.
 *
 * <p>Thread-safe; {@link #take} never blocks. {@link #close} releases the client and its threads.
 */
public final class RedisTokenSource implements TokenSource, AutoCloseable {
    static final String SCRIPT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local period = tonumber(ARGV[2])
            local window = math.floor(now / period)
            local key = KEYS[1] .. ':' .. window
            local used = tonumber(redis.call('GET', key) or '0')
            local grant = math.min(tonumber(ARGV[3]), tonumber(ARGV[1]) - used)
            if grant > 0 then
              redis.call('INCRBY', key, grant)
              redis.call('PEXPIRE', key, period * 2)
            else
              grant = 0
            end
            return {grant, (window + 1) * period - now}
            """;

    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private final long timeoutMillis;
    /** The connection, or its attempt; replaced by a new attempt when one failed. */
    private final AtomicReference<CompletableFuture<StatefulRedisConnection<String, String>>> connection =
            new AtomicReference<>();

    private RedisTokenSource(RedisConfig config) {
        this.timeoutMillis = config.timeout().toMillis();
        RedisURI.Builder b = RedisURI.builder(RedisURI.create(config.url()))
                .withTimeout(config.timeout());
        if (config.passwordFile().isPresent()) {
            char[] password = readPassword(config);
            if (config.username().isPresent()) {
                b.withAuthentication(config.username().get(), password);
            } else {
                b.withPassword(password);
            }
        }
        this.uri = b.build();
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        this.client = RedisClient.create(resources);
        ClientOptions.Builder options = ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
                .socketOptions(SocketOptions.builder().connectTimeout(config.connectTimeout()).build());
        config.trustedCa().ifPresent(ca -> options.sslOptions(SslOptions.builder().jdkSslProvider()
                .trustManager(ca.toFile()).build()));
        client.setOptions(options.build());
    }

    /**
     * A source for {@code config}. Reads the password file and starts connecting now, off the event loops (Lettuce's
     * first connection also initialises its transport); a failed attempt is made again by the next draw.
     */
    public static RedisTokenSource create(RedisConfig config) {
        RedisTokenSource source = new RedisTokenSource(requireNonNull(config, "config"));
        source.connection();
        return source;
    }

    private static char[] readPassword(RedisConfig config) {
        try {
            return Files.readString(config.passwordFile().get(), StandardCharsets.UTF_8).strip().toCharArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read redis.passwordFile " + config.passwordFile().get(), e);
        }
    }

    @Override
    public CompletionStage<Grant> take(String key, int limit, long periodMillis, int want) {
        String[] keys = {key};
        return connection().thenCompose(c -> c.async().<List<Object>>eval(SCRIPT, ScriptOutputType.MULTI, keys,
                        Integer.toString(limit), Long.toString(periodMillis), Integer.toString(want)))
                .thenApply(r -> new Grant(((Long) r.get(0)).intValue(), (Long) r.get(1)))
                .toCompletableFuture()
                // the connect attempt has its own timeout, the command too; this bounds the sum
                .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** The open connection, or the attempt under way; a new attempt when the last one failed. */
    private CompletableFuture<StatefulRedisConnection<String, String>> connection() {
        for (;;) {
            CompletableFuture<StatefulRedisConnection<String, String>> current = connection.get();
            if (current != null && !current.isCompletedExceptionally()) {
                return current;
            }
            CompletableFuture<StatefulRedisConnection<String, String>> attempt = new CompletableFuture<>();
            if (connection.compareAndSet(current, attempt)) {
                client.connectAsync(StringCodec.UTF8, uri).whenComplete((c, e) -> {
                    if (e != null) {
                        attempt.completeExceptionally(e);
                    } else {
                        attempt.complete(c);
                    }
                });
                return attempt;
            }
        }
    }

    @Override
    public void close() {
        CompletableFuture<StatefulRedisConnection<String, String>> c = connection.getAndSet(null);
        if (c != null) {
            c.thenAccept(StatefulRedisConnection::closeAsync);
        }
        client.shutdown(0, 2, TimeUnit.SECONDS);
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
