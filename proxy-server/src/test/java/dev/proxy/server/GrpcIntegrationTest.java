package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.proxy.core.config.ConfigReader;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC through the proxy with grpc-java on both ends: the client speaks h2c to the proxy, the proxy HTTP/2 to the
 * server (a cluster with {@code protocol: h2}); unary and bidirectional streaming calls, a server's error status
 * and message carried in the trailers, the proxy's own answer for a method no route serves, and a deadline.
 */
class GrpcIntegrationTest {
    private static final MethodDescriptor<byte[], byte[]> UNARY = GrpcBytes.method("test.Echo/Unary",
            MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<byte[], byte[]> BIDI = GrpcBytes.method("test.Echo/Bidi",
            MethodDescriptor.MethodType.BIDI_STREAMING);
    private static final MethodDescriptor<byte[], byte[]> FAIL = GrpcBytes.method("test.Echo/Fail",
            MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<byte[], byte[]> SLOW = GrpcBytes.method("test.Echo/Slow",
            MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<byte[], byte[]> UNROUTED = GrpcBytes.method("other.Service/Call",
            MethodDescriptor.MethodType.UNARY);

    private Server server;
    /** Connections the proxy opened to the gRPC server. */
    private final AtomicInteger upstreamConnections = new AtomicInteger();
    private ProxyApp app;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Echo")
                .addMethod(UNARY, ServerCalls.asyncUnaryCall((request, reply) -> {
                    reply.onNext(request);
                    reply.onCompleted();
                }))
                .addMethod(BIDI, ServerCalls.asyncBidiStreamingCall((StreamObserver<byte[]> reply) -> new StreamObserver<byte[]>() {
                    @Override
                    public void onNext(byte[] value) {
                        reply.onNext(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                        reply.onCompleted();
                    }
                }))
                .addMethod(FAIL, ServerCalls.asyncUnaryCall((request, reply) -> reply.onError(
                        Status.NOT_FOUND.withDescription("no such thing: " + new String(request,
                                StandardCharsets.UTF_8)).asRuntimeException())))
                .addMethod(SLOW, ServerCalls.asyncUnaryCall((request, reply) -> {
                    // never answers: the deadline ends the call
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(echo)
                .addTransportFilter(new ServerTransportFilter() {
                    @Override
                    public Attributes transportReady(Attributes transport) {
                        upstreamConnections.incrementAndGet();
                        return transport;
                    }
                })
                .build().start();
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                observability:
                  accessLog: { enabled: false }
                clusters:
                  - name: grpc
                    endpoints: [ { address: 127.0.0.1:%d } ]
                    protocol: h2
                routes:
                  - name: echo
                    match: { pathPrefix: /test.Echo/ }
                    cluster: grpc
                    timeout: 1m
                """.formatted(server.getPort()), "grpc.yaml"), false);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", app.proxy().address().getPort()).usePlaintext()
                .build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (app != null) {
            app.stop(Duration.ZERO);
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aUnaryCallGoesThrough() {
        byte[] reply = ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT
                .withDeadlineAfter(10, TimeUnit.SECONDS), bytes("hello grpc"));
        assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("hello grpc");
    }

    @Test
    void aBidirectionalStreamEchoesEveryMessageInOrder() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        List<Throwable> failed = new CopyOnWriteArrayList<>();
        StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(BIDI,
                CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS)), new StreamObserver<>() {
                    @Override
                    public void onNext(byte[] value) {
                        received.add(new String(value, StandardCharsets.UTF_8));
                    }

                    @Override
                    public void onError(Throwable t) {
                        failed.add(t);
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        done.countDown();
                    }
                });
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            sent.add("message " + i);
            requests.onNext(bytes("message " + i));
        }
        requests.onCompleted();

        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(failed).isEmpty();
        assertThat(received).containsExactlyElementsOf(sent);
    }

    @Test
    void concurrentCallsShareOneUpstreamConnectionAStreamEach() throws Exception {
        int calls = 20;
        CountDownLatch echoed = new CountDownLatch(calls);
        CountDownLatch completed = new CountDownLatch(calls);
        List<Throwable> failed = new CopyOnWriteArrayList<>();
        List<StreamObserver<byte[]>> open = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            open.add(ClientCalls.asyncBidiStreamingCall(channel.newCall(BIDI,
                    CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS)), new StreamObserver<>() {
                        @Override
                        public void onNext(byte[] value) {
                            echoed.countDown();
                        }

                        @Override
                        public void onError(Throwable t) {
                            failed.add(t);
                        }

                        @Override
                        public void onCompleted() {
                            completed.countDown();
                        }
                    }));
            open.get(i).onNext(bytes("call " + i));
        }
        // every call has had its echo and none has ended: all of them are open through the proxy at once
        assertThat(echoed.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(upstreamConnections.get()).as("one multiplexed upstream connection").isEqualTo(1);

        open.forEach(StreamObserver::onCompleted);
        assertThat(completed.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(failed).isEmpty();
        assertThat(upstreamConnections.get()).isEqualTo(1);
    }

    @Test
    void theServersStatusAndMessageComeBackInTheTrailers() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () ->
                ClientCalls.blockingUnaryCall(channel, FAIL, CallOptions.DEFAULT.withDeadlineAfter(10,
                        TimeUnit.SECONDS), bytes("widget-7")));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(e.getStatus().getDescription()).isEqualTo("no such thing: widget-7");
    }

    @Test
    void aMethodNoRouteServesIsUnimplemented() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () ->
                ClientCalls.blockingUnaryCall(channel, UNROUTED, CallOptions.DEFAULT.withDeadlineAfter(10,
                        TimeUnit.SECONDS), bytes("x")));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(e.getStatus().getDescription()).isEqualTo("no_route");
    }

    @Test
    void theCallersDeadlineEndsASlowCall() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () ->
                ClientCalls.blockingUnaryCall(channel, SLOW, CallOptions.DEFAULT.withDeadlineAfter(300,
                        TimeUnit.MILLISECONDS), bytes("x")));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }
}
