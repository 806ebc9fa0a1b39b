package dev.proxy.resilience.ratelimit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} on a free loopback port, without persistence, for the tests of the global limits. It can
 * be killed and started again on the same port. Closing it kills the process.
 */
public final class RedisProcess implements AutoCloseable {
    /** The first {@code redis-server} on the PATH (Debian's package puts it in /usr/bin). */
    private static final Path BINARY = onPath("redis-server");

    private final int port;
    private final Path dir;
    private Process process;

    private RedisProcess(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    public static boolean installed() {
        return Files.isExecutable(BINARY);
    }

    public static RedisProcess start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        RedisProcess redis = new RedisProcess(port, Files.createTempDirectory("redis-test"));
        redis.restart();
        return redis;
    }

    private static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return Path.of("/usr/bin", name);
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts the server (again) and waits until it answers PING, for at most 30 s. */
    public void restart() throws IOException, InterruptedException {
        process = new ProcessBuilder(BINARY.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.out").toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!answersPing()) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IOException("redis-server did not start on port " + port + "; see " + dir);
            }
            Thread.sleep(20);
        }
    }

    /** Kills the server at once, as a crash would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    private boolean answersPing() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[7];
            int n = in.read(buf);
            return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            kill();
        }
    }
}
