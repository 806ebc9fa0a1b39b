import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop (constant arrival rate) HTTP/1.1 load generator for {@code deploy/bench/bench.sh}, after wrk2, which
 * Debian does not package. Run as a single-file source program:
 *
 * <pre>
 *   java deploy/bench/OpenLoop.java URL RATE CONNECTIONS DURATION_SECONDS [WARMUP_SECONDS]
 * </pre>
 *
 * <p>Request i is due at {@code start + i / RATE}; the due times are dealt round-robin over CONNECTIONS keep-alive
 * connections, each carrying one request at a time (no pipelining). A request whose connection is still busy when it
 * falls due is sent as soon as the connection is free, and its latency is counted <em>from its due time</em>, so a
 * stall shows in the tail as it would to clients arriving at that rate (no coordinated omission). Prints its result
 * in wrk's format (the lines bench.sh reads: {@code Requests/sec:}, the latency percentiles, {@code requests in},
 * {@code Non-2xx or 3xx responses:}, {@code Socket errors:}). Requests due in the first WARMUP_SECONDS (default 0)
 * are sent at the same rate but not counted: this JVM's own JIT warm-up stays out of the figures.
 *
 * <p>Reads only responses with Content-Length (nginx's static files and the proxy in front of them). One thread,
 * one selector; a connection that fails is counted and opened again.
 */
public final class OpenLoop {

    private static final int MAX_HEAD = 16 * 1024;

    private final InetSocketAddress address;
    private final byte[] request;
    private final long intervalNanos;      // between two due times on one connection
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(256 * 1024);
    private long measureFrom;             // due times before this are the warm-up's
    private long[] latencies = new long[1 << 16];
    private int completed;
    private long non2xx;
    private long connectErrors;
    private long readErrors;
    private long writeErrors;

    /** One connection: its next due time and the exchange in progress. Used by the selector thread only. */
    private static final class Conn {
        SocketChannel channel;
        boolean connected;
        boolean busy;
        long nextDue;
        long due;                          // due time of the request in flight
        ByteBuffer pending;                // request bytes not written yet
        final byte[] head = new byte[MAX_HEAD];
        int headLength;
        long bodyLeft = -1;                // -1 while reading the head
        int status;
        boolean closeAfter;
    }

    private OpenLoop(URI uri, double rate, int connections) throws IOException {
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        this.address = new InetSocketAddress(uri.getHost(), port);
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        this.request = ("GET " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + port + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        this.intervalNanos = Math.round(connections * 1e9 / rate);
        this.selector = Selector.open();
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4 && args.length != 5) {
            System.err.println("usage: java OpenLoop.java URL RATE CONNECTIONS DURATION_SECONDS [WARMUP_SECONDS]");
            System.exit(2);
        }
        URI uri = URI.create(args[0]);
        if (!"http".equals(uri.getScheme())) {
            System.err.println("only http:// URLs: " + args[0]);
            System.exit(2);
        }
        double rate = Double.parseDouble(args[1]);
        int connections = Integer.parseInt(args[2]);
        double seconds = Double.parseDouble(args[3]);
        double warmup = args.length == 5 ? Double.parseDouble(args[4]) : 0;
        if (!(rate > 0) || connections < 1 || !(seconds > 0) || !(warmup >= 0)) {
            System.err.println("RATE, CONNECTIONS and DURATION_SECONDS must be positive, WARMUP_SECONDS not negative");
            System.exit(2);
        }
        new OpenLoop(uri, rate, connections).run(args[0], rate, connections, seconds, warmup);
    }

    private void run(String url, double rate, int connections, double seconds, double warmup) throws IOException {
        long start = System.nanoTime();
        measureFrom = start + (long) (warmup * 1e9);
        long end = measureFrom + (long) (seconds * 1e9);
        Conn[] conns = new Conn[connections];
        for (int i = 0; i < connections; i++) {
            conns[i] = new Conn();
            conns[i].nextDue = start + Math.round(i * 1e9 / rate);   // stagger: one due time every 1/RATE
            open(conns[i]);
        }
        long unsent = 0;
        while (true) {
            long now = System.nanoTime();
            boolean sending = now < end;
            boolean anyBusy = false;
            long wake = Long.MAX_VALUE;
            for (Conn c : conns) {
                if (sending && !c.busy && c.connected && c.nextDue <= now && c.nextDue < end) {
                    send(c);
                }
                anyBusy |= c.busy;
                if (!c.busy && c.nextDue < wake) {
                    wake = c.nextDue;
                }
            }
            if (!sending && !anyBusy) {
                break;
            }
            if (!sending && now > end + 2_000_000_000L) {
                break;                     // responses still missing 2 s after the end: counted as timeouts below
            }
            long wait = sending ? Math.max(0, Math.min(wake, end) - now) : 10_000_000L;
            if (wait >= 1_000_000L) {
                selector.select(wait / 1_000_000L);
            } else if (selector.selectNow() == 0 && wait > 0) {
                LockSupport.parkNanos(Math.min(wait, 50_000L));
                selector.selectNow();
            }
            for (SelectionKey key : selector.selectedKeys()) {
                handle((Conn) key.attachment(), key);
            }
            selector.selectedKeys().clear();
        }
        long elapsed = System.nanoTime() - measureFrom;
        long timeouts = 0;
        for (Conn c : conns) {
            timeouts += c.busy ? 1 : 0;
            // Due times the run did not reach because the connection was behind: the backlog at the end.
            for (long due = c.nextDue; due < end; due += intervalNanos) {
                unsent++;
            }
        }
        report(url, rate, connections, Math.min(elapsed, end - measureFrom), unsent, timeouts);
    }

    private void open(Conn c) {
        try {
            c.channel = SocketChannel.open();
            c.channel.configureBlocking(false);
            c.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.connected = c.channel.connect(address);
            c.channel.register(selector, c.connected ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, c);
        } catch (IOException e) {
            connectErrors++;
            c.connected = false;
        }
        c.busy = false;
        c.headLength = 0;
        c.bodyLeft = -1;
    }

    private void reopen(Conn c) {
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closing a failed connection
        }
        open(c);
    }

    private void send(Conn c) {
        c.busy = true;
        c.due = c.nextDue;
        c.nextDue += intervalNanos;
        c.pending = ByteBuffer.wrap(request);
        write(c);
    }

    private void write(Conn c) {
        try {
            c.channel.write(c.pending);
            c.channel.keyFor(selector).interestOps(
                    c.pending.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        } catch (IOException e) {
            writeErrors++;
            reopen(c);
        }
    }

    private void handle(Conn c, SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        try {
            if (key.isConnectable()) {
                c.channel.finishConnect();
                c.connected = true;
                key.interestOps(SelectionKey.OP_READ);
                return;
            }
        } catch (IOException e) {
            connectErrors++;
            reopen(c);
            return;
        }
        if (key.isWritable()) {
            write(c);
        }
        if (key.isValid() && key.isReadable()) {
            read(c);
        }
    }

    private void read(Conn c) {
        readBuffer.clear();
        int n;
        try {
            n = c.channel.read(readBuffer);
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            if (c.busy) {
                readErrors++;
            }
            reopen(c);
            return;
        }
        readBuffer.flip();
        while (readBuffer.hasRemaining() && c.busy) {
            if (c.bodyLeft < 0) {
                byte b = readBuffer.get();
                if (c.headLength == MAX_HEAD) {
                    readErrors++;
                    reopen(c);
                    return;
                }
                c.head[c.headLength++] = b;
                if (b == '\n' && c.headLength >= 4 && c.head[c.headLength - 2] == '\r'
                        && c.head[c.headLength - 3] == '\n' && c.head[c.headLength - 4] == '\r') {
                    if (!parseHead(c)) {
                        readErrors++;
                        reopen(c);
                        return;
                    }
                }
            } else {
                int skip = (int) Math.min(c.bodyLeft, readBuffer.remaining());
                readBuffer.position(readBuffer.position() + skip);
                c.bodyLeft -= skip;
            }
            if (c.bodyLeft == 0) {
                complete(c);
            }
        }
    }

    /** The status, Content-Length and Connection of a complete head; false when it cannot be read. */
    private static boolean parseHead(Conn c) {
        String[] lines = new String(c.head, 0, c.headLength - 4, StandardCharsets.US_ASCII).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            return false;
        }
        c.status = Integer.parseInt(statusLine[1]);
        c.closeAfter = statusLine[0].equals("HTTP/1.0");
        long length = -1;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].toLowerCase(Locale.ROOT);
            if (line.startsWith("content-length:")) {
                length = Long.parseLong(line.substring(15).trim());
            } else if (line.startsWith("connection:")) {
                c.closeAfter = line.contains("close");
            } else if (line.startsWith("transfer-encoding:")) {
                return false;              // not needed for bench.sh's targets
            }
        }
        if (length < 0 && c.status != 204 && c.status != 304) {
            return false;
        }
        c.bodyLeft = Math.max(length, 0);
        return true;
    }

    private void complete(Conn c) {
        long latency = System.nanoTime() - c.due;
        if (c.due >= measureFrom) {
            if (completed == latencies.length) {
                latencies = Arrays.copyOf(latencies, completed * 2);
            }
            latencies[completed++] = latency;
            if (c.status < 200 || c.status > 399) {
                non2xx++;
            }
        }
        c.busy = false;
        c.headLength = 0;
        c.bodyLeft = -1;
        if (c.closeAfter) {
            reopen(c);
        }
    }

    private void report(String url, double rate, int connections, long elapsedNanos, long unsent, long timeouts) {
        double seconds = elapsedNanos / 1e9;
        long[] sorted = Arrays.copyOf(latencies, completed);
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "Open-loop test @ %s: %.0f req/s scheduled over %d connections, %.1f s%n",
                url, rate, connections, seconds);
        System.out.println("  latency counted from each request's scheduled time (no coordinated omission)");
        System.out.println("  Latency Distribution");
        for (double p : new double[] {50, 75, 90, 99, 99.9, 100}) {
            String label = p == Math.rint(p) ? String.format(Locale.ROOT, "%.0f%%", p) : p + "%";
            System.out.printf(Locale.ROOT, "  %6s %10s%n", label, completed == 0 ? "-" : ms(percentile(sorted, p)));
        }
        System.out.printf(Locale.ROOT, "  %d requests in %.2fs, %d scheduled but not sent (backlog at the end)%n",
                completed, seconds, unsent);
        if (connectErrors + readErrors + writeErrors + timeouts > 0) {
            System.out.printf(Locale.ROOT, "  Socket errors: connect %d, read %d, write %d, timeout %d%n",
                    connectErrors, readErrors, writeErrors, timeouts);
        }
        if (non2xx > 0) {
            System.out.printf(Locale.ROOT, "  Non-2xx or 3xx responses: %d%n", non2xx);
        }
        System.out.printf(Locale.ROOT, "Requests/sec: %10.2f%n", completed / seconds);
    }

    private static long percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.3fms", nanos / 1e6);
    }
}
