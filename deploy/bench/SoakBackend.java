import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A misbehaving HTTP/1.1 backend for {@code deploy/bench/soak.sh}, run as a single-file source program:
 *
 * <pre>
 *   java deploy/bench/SoakBackend.java PORT [BURST_PERIOD_MS BURST_LENGTH_MS]
 * </pre>
 *
 * <p>Listens on 127.0.0.1:PORT, keeps connections alive, and answers by the first path segment (the query is
 * ignored):
 *
 * <ul>
 *   <li>{@code /ok*}, {@code /restart*}, {@code /health}: 200 with 128 bytes at once;
 *   <li>{@code /slow*}: 200 with 128 bytes after a random 0–1500 ms (the soak's cluster gives up after 1 s);
 *   <li>{@code /reset*}: 200 with 64 KiB, except one request in three, which gets the head and 16 KiB of the body and
 *       then a TCP reset (SO_LINGER 0);
 *   <li>{@code /flaky*}: 200 with 128 bytes, but 503 during a burst of BURST_LENGTH_MS every BURST_PERIOD_MS
 *       (defaults 30 s and 6 s), counted from this process's start;
 *   <li>{@code /drip*}: 200 chunked, 20 chunks of 1 KiB 100 ms apart (2 s), for clients that leave half-way;
 *   <li>anything else: 404.
 * </ul>
 *
 * <p>One platform thread per connection (the soak's load is a few hundred requests per second); request bodies
 * are read and dropped. Every line it prints goes to standard output.
 */
public final class SoakBackend {

    private static final byte[] SMALL = filled(128, 's');
    private static final byte[] LARGE = filled(65536, 'L');
    private static final byte[] CHUNK = filled(1024, 'd');
    private static final int MAX_HEAD = 64 * 1024;

    private final long started = System.nanoTime();
    private final long burstPeriodMs;
    private final long burstLengthMs;

    private SoakBackend(long burstPeriodMs, long burstLengthMs) {
        this.burstPeriodMs = burstPeriodMs;
        this.burstLengthMs = burstLengthMs;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1 && args.length != 3) {
            System.err.println("usage: java SoakBackend.java PORT [BURST_PERIOD_MS BURST_LENGTH_MS]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        long period = args.length == 3 ? Long.parseLong(args[1]) : 30_000;
        long length = args.length == 3 ? Long.parseLong(args[2]) : 6_000;
        new SoakBackend(period, length).run(port);
    }

    private void run(int port) throws IOException {
        ExecutorService threads = Executors.newCachedThreadPool(task -> {
            Thread t = new Thread(task, "conn");
            t.setDaemon(true);
            return t;
        });
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress("127.0.0.1", port), 1024);
            System.out.println("SoakBackend listening on 127.0.0.1:" + port + ", 503 bursts of " + burstLengthMs
                    + " ms every " + burstPeriodMs + " ms");
            while (true) {
                Socket socket = server.accept();
                threads.execute(() -> serve(socket));
            }
        }
    }

    /** Serves one connection until the client closes it, it idles for 60 s, or a response ends it. */
    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(60_000);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String[] lines = head.split("\r\n");
                String[] requestLine = lines[0].split(" ");
                if (requestLine.length != 3) {
                    respond(out, 400, "Bad Request", SMALL, true);
                    return;
                }
                long bodyLength = 0;
                boolean close = false;
                for (int i = 1; i < lines.length; i++) {
                    String line = lines[i].toLowerCase(Locale.ROOT);
                    if (line.startsWith("content-length:")) {
                        bodyLength = Long.parseLong(line.substring(15).trim());
                    } else if (line.startsWith("connection:") && line.contains("close")) {
                        close = true;
                    } else if (line.startsWith("transfer-encoding:")) {
                        respond(out, 501, "Not Implemented", SMALL, true);   // the soak sends no chunked bodies
                        return;
                    }
                }
                in.skipNBytes(bodyLength);
                String path = requestLine[1];
                if (!answer(socket, out, path, close) || close) {
                    return;
                }
            }
        } catch (SocketTimeoutException idle) {
            // an idle keep-alive connection: closed by the try
        } catch (IOException | RuntimeException | InterruptedException e) {
            // the peer went away (a timeout or an abort upstream of us): nothing to report
        }
    }

    /** Writes the answer for PATH; false when the connection must not be used again. */
    private boolean answer(Socket socket, OutputStream out, String path, boolean close)
            throws IOException, InterruptedException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (path.startsWith("/ok") || path.startsWith("/restart") || path.startsWith("/health")) {
            respond(out, 200, "OK", SMALL, close);
        } else if (path.startsWith("/slow")) {
            Thread.sleep(random.nextInt(1501));
            respond(out, 200, "OK", SMALL, close);
        } else if (path.startsWith("/reset")) {
            if (random.nextInt(3) == 0) {
                writeHead(out, 200, "OK", LARGE.length, false);
                out.write(LARGE, 0, 16 * 1024);
                out.flush();
                socket.setSoLinger(true, 0);   // close() now sends RST instead of FIN
                return false;
            }
            respond(out, 200, "OK", LARGE, close);
        } else if (path.startsWith("/flaky")) {
            long sinceStart = (System.nanoTime() - started) / 1_000_000;
            if (sinceStart % burstPeriodMs < burstLengthMs) {
                respond(out, 503, "Service Unavailable", SMALL, close);
            } else {
                respond(out, 200, "OK", SMALL, close);
            }
        } else if (path.startsWith("/drip")) {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                    + (close ? "Connection: close\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 20; i++) {
                out.write((Integer.toHexString(CHUNK.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(CHUNK);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(100);
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } else {
            respond(out, 404, "Not Found", SMALL, close);
        }
        return true;
    }

    private static void respond(OutputStream out, int status, String text, byte[] body, boolean close)
            throws IOException {
        writeHead(out, status, text, body.length, close);
        out.write(body);
        out.flush();
    }

    private static void writeHead(OutputStream out, int status, String text, int length, boolean close)
            throws IOException {
        out.write(("HTTP/1.1 " + status + " " + text + "\r\nContent-Type: text/plain\r\nContent-Length: " + length
                + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** The request head up to (without) its blank line, or null at a clean end of stream before any byte. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(512);
        int matched = 0;   // how much of "\r\n\r\n" the last bytes matched
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new IOException("end of stream inside a request head");
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                String text = head.toString(StandardCharsets.US_ASCII);
                return text.substring(0, text.length() - 4);
            }
            if (head.size() > MAX_HEAD) {
                throw new IOException("request head too large");
            }
        }
    }

    private static byte[] filled(int size, char c) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) c);
        return bytes;
    }
}
