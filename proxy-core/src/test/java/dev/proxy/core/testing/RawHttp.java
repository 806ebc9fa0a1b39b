package dev.proxy.core.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A plain socket that speaks HTTP/1.1 by hand, for what real clients send but libraries refuse to: malformed,
 * ambiguous and slow requests. Reads with a bound, never forever. Not thread-safe.
 */
public final class RawHttp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttp(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(10_000);
        // buffered: the head is read a byte at a time, and a syscall per byte made the long tests slow
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public RawHttp send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    public RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads one response: head, then a Content-Length or chunked body, or up to close if neither. */
    public Response readResponse() throws IOException {
        String head = readHead();
        if (head == null) {
            return null;
        }
        Response r = Response.parse(head);
        if (r.status() >= 200 && r.status() != 204 && r.status() != 304 && !r.headOnly) {
            if (r.header("content-length") != null) {
                r.body = readN(Integer.parseInt(r.header("content-length").trim()));
            } else if ("chunked".equalsIgnoreCase(r.header("transfer-encoding"))) {
                r.body = readChunked();
            } else {
                r.body = readToEnd();
            }
        }
        return r;
    }

    /** Reads a response to a HEAD request: no body whatever the headers say. */
    public Response readHeadResponse() throws IOException {
        String head = readHead();
        return head == null ? null : Response.parse(head);
    }

    /** True once the server has closed the connection (reads end of stream or a reset within the socket timeout). */
    public boolean isClosedByPeer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    public void setReadTimeoutMillis(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /** What the connection has read: the one stream every read goes through, raw reads included. */
    public InputStream input() {
        return in;
    }

    public Socket socket() {
        return socket;
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                return buf.size() == 0 ? null : buf.toString(StandardCharsets.ISO_8859_1);
            }
            buf.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                    ? state + 1 : (b == '\r' ? 1 : 0);
        }
        return buf.toString(StandardCharsets.ISO_8859_1);
    }

    private byte[] readN(int n) throws IOException {
        return in.readNBytes(n);
    }

    private byte[] readToEnd() throws IOException {
        return in.readAllBytes();
    }

    private byte[] readChunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String line = readLine();
            int size = Integer.parseInt(line.split(";")[0].trim(), 16);
            if (size == 0) {
                while (!readLine().isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(size));
            readLine();
        }
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                sb.append((char) b);
            }
        }
        if (b < 0) {
            throw new IOException("connection closed in a chunked body");
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** One parsed response. */
    public static final class Response {
        private final int status;
        private final String head;
        private final java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
        private final boolean headOnly = false;
        private byte[] body = new byte[0];

        private Response(int status, String head) {
            this.status = status;
            this.head = head;
        }

        static Response parse(String head) {
            String[] lines = head.split("\r\n");
            Response r = new Response(Integer.parseInt(lines[0].split(" ")[1]), head);
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    r.headers.merge(lines[i].substring(0, colon).trim().toLowerCase(),
                            lines[i].substring(colon + 1).trim(), (a, b) -> a + ", " + b);
                }
            }
            return r;
        }

        public int status() {
            return status;
        }

        public String header(String name) {
            return headers.get(name.toLowerCase());
        }

        public String head() {
            return head;
        }

        public String body() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public byte[] bodyBytes() {
            return body;
        }

        @Override
        public String toString() {
            return head + body();
        }
    }
}
