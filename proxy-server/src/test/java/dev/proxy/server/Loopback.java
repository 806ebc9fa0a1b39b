package dev.proxy.server;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

/** Loopback helpers for the integration tests: free ports, probes of a listener, the repository root. Stateless. */
final class Loopback {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    private Loopback() {
    }

    /**
     * {@code n} distinct ports that were free a moment ago, for addresses that must be known before the server
     * binds (config files of child JVMs, demo endpoints). All are held open together so none is handed out twice.
     */
    static int[] freePorts(int n) throws IOException {
        ServerSocket[] sockets = new ServerSocket[n];
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    /** The status of a GET to {@code 127.0.0.1:port path}; empty when nothing answers (refused, reset, timeout). */
    static OptionalInt status(int port, String path) {
        try {
            HttpResponse<Void> r = CLIENT.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                            .timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return OptionalInt.of(r.statusCode());
        } catch (IOException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }

    /** True when a TCP connect to {@code 127.0.0.1:port} is refused: nothing listens there. */
    static boolean refusesConnections(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }

    /** The repository root: the nearest directory at or above the working directory holding config/proxy.yaml. */
    static Path repoRoot() {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("config/proxy.yaml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no config/proxy.yaml at or above " + start);
    }
}
