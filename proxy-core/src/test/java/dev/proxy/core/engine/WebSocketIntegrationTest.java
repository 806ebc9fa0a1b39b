package dev.proxy.core.engine;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.core.upstream.PoolStats;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * WebSocket through the running proxy with the JDK's WebSocket client (and raw sockets where a client library would
 * refuse): the upgrade is forwarded, the 101 turns both connections into a tunnel that echoes small and large
 * messages intact, carries bytes sent in the same packet as the handshake either way, closes on idleness and when
 * either side closes, and holds no pool slot; a refused upgrade is an ordinary HTTP answer.
 */
class WebSocketIntegrationTest {
    private static final String WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final String HANDSHAKE = "GET /ws HTTP/1.1\r\nHost: chat.example\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    @RegisterExtension
    final Closer closer = new Closer();

    private TestProxy proxy(String server, TestBackend backend, String pool, ProxyObserver observer)
            throws InterruptedException {
        return closer.keep(TestProxy.start(yaml(server, backend, pool), LoadBalancer.Factory.roundRobinOnly(),
                Resilience.NONE, observer));
    }

    private static String yaml(String server, TestBackend backend, String pool) {
        return """
                %s
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                    pool: %s
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(server, backend.address(), pool);
    }

    private TestProxy proxy(TestBackend backend) throws InterruptedException {
        return proxy("", backend, "{}", ProxyObserver.NONE);
    }

    private WebSocket connect(TestProxy proxy, Messages messages) throws Exception {
        WebSocket ws = proxy.client().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + proxy.port() + "/ws"), messages)
                .get(10, TimeUnit.SECONDS);
        closer.keep(ws::abort);
        return ws;
    }

    @Test
    void echoesTextAndBinaryMessages() throws Exception {
        TestProxy proxy = proxy(closer.keep(TestBackend.webSocketEcho("/ws")));
        Messages messages = new Messages();
        WebSocket ws = connect(proxy, messages);

        ws.sendText("hello through the proxy", true).get(10, TimeUnit.SECONDS);
        assertThat(messages.next()).isEqualTo("hello through the proxy");
        byte[] binary = {0, 1, 2, (byte) 0x81, (byte) 0xff};
        ws.sendBinary(ByteBuffer.wrap(binary), true).get(10, TimeUnit.SECONDS);
        assertThat((byte[]) messages.next()).containsExactly(binary);
        ws.sendText("again", true).get(10, TimeUnit.SECONDS);
        assertThat(messages.next()).isEqualTo("again");
    }

    @Test
    void aLargeMessageComesBackIntact() throws Exception {
        TestProxy proxy = proxy(closer.keep(TestBackend.webSocketEcho("/ws")));
        Messages messages = new Messages();
        WebSocket ws = connect(proxy, messages);
        // far more than the channels' write buffers hold: each direction must pause and resume its reading
        byte[] large = new byte[4 * 1024 * 1024];
        new Random(42).nextBytes(large);

        ws.sendBinary(ByteBuffer.wrap(large), true).get(20, TimeUnit.SECONDS);

        byte[] echoed = (byte[]) messages.next();
        assertThat(echoed).hasSize(large.length);
        assertThat(sha256(echoed)).isEqualTo(sha256(large));
    }

    @Test
    void aFrameTheServerSendsRightAfterThe101ReachesTheClient() throws Exception {
        TestBackend backend = closer.keep(TestBackend.raw(p -> p.addLast(new HandshakeByHand("welcome"))));
        TestProxy proxy = proxy(backend);
        Messages messages = new Messages();
        WebSocket ws = connect(proxy, messages);

        assertThat(messages.next()).isEqualTo("welcome");
        ws.sendText("and the tunnel goes on", true).get(10, TimeUnit.SECONDS);
        assertThat(messages.next()).isEqualTo("and the tunnel goes on");
    }

    @Test
    void bytesTheClientSendsWithItsHandshakeReachTheUpstream() throws Exception {
        TestBackend backend = closer.keep(TestBackend.raw(p -> p.addLast(new HandshakeByHand(null))));
        TestProxy proxy = proxy(backend);
        byte[] frame = maskedTextFrame("sent early");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            // one write: the handshake and a first frame in the same packet, before any answer
            ByteArrayOutputStream both = new ByteArrayOutputStream();
            both.writeBytes(HANDSHAKE.getBytes(ISO_8859_1));
            both.writeBytes(frame);
            out.write(both.toByteArray());
            out.flush();

            DataInputStream in = new DataInputStream(socket.getInputStream());
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 101").containsIgnoringCase("upgrade: websocket")
                    .containsIgnoringCase("connection: upgrade")
                    .contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
            byte[] echoed = new byte[2 + "sent early".length()];
            in.readFully(echoed);
            assertThat(echoed[0]).isEqualTo((byte) 0x81);
            assertThat(echoed[1]).isEqualTo((byte) "sent early".length());
            assertThat(new String(echoed, 2, echoed.length - 2, UTF_8)).isEqualTo("sent early");
        }
    }

    @Test
    void anIdleTunnelIsClosedOnBothSides() throws Exception {
        TestBackend backend = closer.keep(TestBackend.webSocketEcho("/ws"));
        TestProxy proxy = proxy("server:\n  limits: { websocketIdleTimeout: 300ms }", backend, "{}",
                ProxyObserver.NONE);
        Messages messages = new Messages();
        WebSocket ws = connect(proxy, messages);
        ws.sendText("one message, then silence", true).get(10, TimeUnit.SECONDS);
        assertThat(messages.next()).isEqualTo("one message, then silence");

        // the tunnel is cut without a close frame, which the JDK client reports as an error or an abnormal close
        assertThat(messages.closed.get(10, TimeUnit.SECONDS)).isNotEqualTo(1000);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);
    }

    @Test
    void aTunnelHoldsNoPoolSlot() throws Exception {
        TestBackend backend = closer.keep(TestBackend.webSocketEcho("/ws"));
        TestProxy proxy = proxy("", backend, "{ maxConnectionsPerEndpoint: 1, acquireTimeout: 2s }",
                ProxyObserver.NONE);
        Messages first = new Messages();
        WebSocket ws1 = connect(proxy, first);
        ws1.sendText("first", true).get(10, TimeUnit.SECONDS);
        assertThat(first.next()).isEqualTo("first");

        // at a cap of one connection, a tunnel open to the endpoint does not keep plain requests out
        HttpResponse<String> plain = proxy.get("/plain");
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.body()).isEqualTo("plain");
        // nor a second tunnel, which takes the kept-alive connection with it
        Messages second = new Messages();
        WebSocket ws2 = connect(proxy, second);
        ws2.sendText("second", true).get(10, TimeUnit.SECONDS);
        assertThat(second.next()).isEqualTo("second");
        assertThat(proxy.get("/plain").statusCode()).isEqualTo(200);

        PoolStats stats = proxy.server().snapshot().clusters().get("b").poolStats();
        assertThat(stats.open()).as("only the plain request's connection counts").isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 3);
        ws1.sendText("still there", true).get(10, TimeUnit.SECONDS);
        assertThat(first.next()).isEqualTo("still there");
    }

    @Test
    void aRefusedUpgradeIsAnOrdinaryResponseAndTheConnectionCloses() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("no websockets here")));
        TestProxy proxy = proxy(backend);
        try (RawHttp raw = new RawHttp(proxy.port())) {
            RawHttp.Response r = raw.send(HANDSHAKE).readResponse();

            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("no websockets here");
            assertThat(r.header("connection")).isEqualToIgnoringCase("close");
            assertThat(raw.isClosedByPeer()).isTrue();
        }
        // the upgrade went upstream with the two hop-by-hop headers it needs, and the handshake's own headers
        HttpRequest seen = backend.lastRequest();
        assertThat(seen.headers().get("upgrade")).isEqualTo("websocket");
        assertThat(seen.headers().get("connection")).isEqualToIgnoringCase("upgrade");
        assertThat(seen.headers().get("sec-websocket-key")).isEqualTo("dGhlIHNhbXBsZSBub25jZQ==");
    }

    @Test
    void a101ToARequestThatAskedForNoUpgradeIs502() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http((ctx, req) -> ctx.writeAndFlush(
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS))));
        TestProxy proxy = proxy(backend);

        HttpResponse<String> r = proxy.get("/not-a-websocket");

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("x-proxy-error")).hasValue("upstream_bad_response");
    }

    @Test
    void closingTheClientClosesTheUpstreamAndTheTunnelIsReportedOnce() throws Exception {
        TestBackend backend = closer.keep(TestBackend.webSocketEcho("/ws"));
        TunnelCounter counter = new TunnelCounter();
        TestProxy proxy = proxy("", backend, "{}", counter);
        Messages messages = new Messages();
        WebSocket ws = connect(proxy, messages);
        ws.sendText("12345", true).get(10, TimeUnit.SECONDS);
        assertThat(messages.next()).isEqualTo("12345");
        assertThat(counter.opened.get()).isEqualTo(1);
        assertThat(counter.statuses).containsExactly(101);

        ws.abort();

        await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> counter.closed.get() == 1);
        // a masked client frame of 5 bytes is 11 bytes, the server's unmasked echo 7
        assertThat(counter.bytesFromClient.get()).isEqualTo(11);
        assertThat(counter.bytesFromUpstream.get()).isEqualTo(7);
    }

    @Test
    void theCloseHandshakeGoesThroughAndTheServerClosingClosesTheClient() throws Exception {
        TestBackend backend = closer.keep(TestBackend.webSocketEcho("/ws"));
        TestProxy proxy = proxy(backend);
        Messages messages = new Messages();
        WebSocket ws = connect(proxy, messages);

        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);

        // the server answers the close frame and closes at once: its frame must still be flushed to the client
        assertThat(messages.closed.get(10, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().connectionCount() == 0);
    }

    @Test
    void drainingClosesATunnelAtOnce() throws Exception {
        TestBackend backend = closer.keep(TestBackend.webSocketEcho("/ws"));
        // stopped by the test itself, not by the closer
        TestProxy proxy = TestProxy.start(yaml("", backend, "{}"));
        Messages messages = new Messages();
        WebSocket ws = connect(proxy, messages);
        ws.sendText("before the drain", true).get(10, TimeUnit.SECONDS);
        assertThat(messages.next()).isEqualTo("before the drain");

        CompletableFuture<Void> stopped = CompletableFuture.runAsync(
                () -> proxy.server().shutdown(Duration.ofMinutes(2)));

        assertThat(messages.closed.get(20, TimeUnit.SECONDS)).isNotEqualTo(WebSocket.NORMAL_CLOSURE);
        // long before the grace period ends: a tunnel does not hold the drain up
        stopped.get(20, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);
    }

    private static String readHead(DataInputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            head.append((char) in.readUnsignedByte());
        }
        return head.toString();
    }

    /** A client's text frame (RFC 6455 §5.2), masked as a client must; payload under 126 bytes. */
    private static byte[] maskedTextFrame(String text) {
        byte[] payload = text.getBytes(UTF_8);
        byte[] mask = {0x11, 0x22, 0x33, 0x44};
        byte[] frame = new byte[2 + 4 + payload.length];
        frame[0] = (byte) 0x81;
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++) {
            frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        return frame;
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    /** What the JDK client received: whole messages (String or byte[]) in order, and how it ended. */
    private static final class Messages implements WebSocket.Listener {
        final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        /** The close code, or -1 when the connection failed instead. */
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private StringBuilder text = new StringBuilder();
        private ByteArrayOutputStream binary = new ByteArrayOutputStream();

        Object next() throws InterruptedException {
            Object m = received.poll(20, TimeUnit.SECONDS);
            assertThat(m).as("a message within 20 s").isNotNull();
            return m;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                received.add(text.toString());
                text = new StringBuilder();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] part = new byte[data.remaining()];
            data.get(part);
            binary.writeBytes(part);
            if (last) {
                received.add(binary.toByteArray());
                binary = new ByteArrayOutputStream();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(-1);
        }
    }

    /** Counts tunnels and the bytes they carried, and the statuses of ended exchanges. */
    private static final class TunnelCounter implements ProxyObserver {
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final AtomicLong bytesFromClient = new AtomicLong();
        final AtomicLong bytesFromUpstream = new AtomicLong();
        final ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();

        @Override
        public void tunnelOpened() {
            opened.incrementAndGet();
        }

        @Override
        public void tunnelClosed(long fromClient, long fromUpstream) {
            closed.incrementAndGet();
            bytesFromClient.addAndGet(fromClient);
            bytesFromUpstream.addAndGet(fromUpstream);
        }

        @Override
        public ExchangeObserver exchangeStarted(io.netty.handler.codec.http.HttpRequest request,
                                                HttpProtocol protocol) {
            return new ExchangeObserver() {
                @Override
                public void ended(ExchangeRecord record) {
                    statuses.add(record.status());
                }
            };
        }
    }

    /**
     * A WebSocket server by hand: answers the handshake and, in the same write, sends {@code greeting} (if any) as a
     * first text frame; then echoes frames with Netty's frame codec. Bytes that came with the handshake are decoded
     * as frames, as this decoder hands what it has not read to the frame decoder when it leaves.
     */
    private static final class HandshakeByHand extends ByteToMessageDecoder {
        private static final Pattern KEY = Pattern.compile("(?im)^sec-websocket-key:\\s*(\\S+)\\s*$");
        private final String greeting;

        HandshakeByHand(String greeting) {
            this.greeting = greeting;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            String seen = in.toString(in.readerIndex(), in.readableBytes(), ISO_8859_1);
            int end = seen.indexOf("\r\n\r\n");
            if (end < 0) {
                return;
            }
            in.skipBytes(end + 4);
            Matcher key = KEY.matcher(seen.substring(0, end));
            if (!key.find()) {
                ctx.close();
                return;
            }
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key.group(1) + WS_GUID).getBytes(ISO_8859_1)));
            ByteBuf answer = ctx.alloc().buffer();
            answer.writeCharSequence("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n", ISO_8859_1);
            if (greeting != null) {
                byte[] g = greeting.getBytes(UTF_8);
                answer.writeByte(0x81).writeByte(g.length).writeBytes(g);
            }
            ctx.writeAndFlush(answer);
            ctx.pipeline().addLast(new WebSocket13FrameDecoder(true, false, 1024 * 1024),
                    new WebSocket13FrameEncoder(false), new EchoFrames());
            ctx.pipeline().remove(this);
        }
    }

    /** Echoes data frames; answers a close frame and closes. */
    private static final class EchoFrames extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof CloseWebSocketFrame) {
                ctx.writeAndFlush(msg).addListener(ChannelFutureListener.CLOSE);
            } else if (msg instanceof WebSocketFrame) {
                ctx.writeAndFlush(msg);
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }
    }
}
