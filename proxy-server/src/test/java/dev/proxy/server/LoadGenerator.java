package dev.proxy.server;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Clients that send GETs in a loop, each on a thread and an HTTP/1.1 client of its own, and note every answer that is
 * not a 200 (status and {@code x-proxy-error}) or every exception: for the tests that change a config under load and
 * must lose no request. Close it (or {@link #stop}) before reading {@link #failures}.
 */
final class LoadGenerator implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong done = new AtomicLong();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    /** @param target the URI client {@code i} sends to */
    static LoadGenerator start(int clients, IntFunction<URI> target) {
        LoadGenerator load = new LoadGenerator();
        for (int i = 0; i < clients; i++) {
            URI uri = target.apply(i);
            HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Thread thread = new Thread(() -> load.run(own, uri), "load-" + i);
            thread.start();
            load.threads.add(thread);
        }
        return load;
    }

    private void run(HttpClient client, URI uri) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
        while (running.get()) {
            try {
                HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    failures.add(r.statusCode() + " " + r.headers().firstValue("x-proxy-error").orElse(""));
                }
            } catch (IOException | InterruptedException e) {
                failures.add(e.toString());
            }
            done.incrementAndGet();
        }
    }

    /** Requests answered (or failed) so far. */
    long done() {
        return done.get();
    }

    /** Waits until {@code n} more requests have been answered, so that traffic flowed on the config of now. */
    void awaitMore(long n) {
        long before = done.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> done.get() >= before + n);
    }

    /** Every answer that was not a 200, and every exception. */
    List<String> failures() {
        return List.copyOf(failures);
    }

    /** Stops the clients and waits for their last requests. */
    void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(20_000);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
