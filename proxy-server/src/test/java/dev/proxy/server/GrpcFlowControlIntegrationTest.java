package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.proxy.core.config.ConfigReader;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * gRPC flow control end to end, with grpc-java on both sides and HTTP/2's own 64 KiB windows at every hop: the
 * client's and the server's (fixed: {@code flowControlWindow} turns grpc-java's BDP-based window growth off) and the
 * ones the proxy offers the server ({@code clusters[].http2}), so every large message crosses the proxy in many
 * window-sized steps, and each step needs the proxy's {@code WINDOW_UPDATE} to the side it reads from to go out at
 * once. Without {@link dev.proxy.core.upstream.WindowUpdateFlusher} a response stalled after 2 x 65,535 bytes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcFlowControlIntegrationTest {
    private static final int WINDOW = 65_535;
    private static final int LARGE = 4 * 1024 * 1024;
    private static final Metadata.Key<String> DETAIL = Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);
    /** Answers a request of n bytes with a message of the size the request's first four bytes name. */
    private static final MethodDescriptor<byte[], byte[]> SIZED = GrpcBytes.method("flow.Test/Sized",
            MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<byte[], byte[]> ECHO = GrpcBytes.method("flow.Test/Echo",
            MethodDescriptor.MethodType.BIDI_STREAMING);
    private static final MethodDescriptor<byte[], byte[]> DENY = GrpcBytes.method("flow.Test/Deny",
            MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<byte[], byte[]> DENY_STREAM = GrpcBytes.method("flow.Test/DenyStream",
            MethodDescriptor.MethodType.SERVER_STREAMING);

    private Server server;
    private ProxyApp app;
    private ManagedChannel channel;
    /** Bytes of the last request the server received. */
    private final AtomicInteger lastRequestSize = new AtomicInteger(-1);

    @BeforeAll
    void start() throws Exception {
        ServerServiceDefinition service = ServerServiceDefinition.builder("flow.Test")
                .addMethod(SIZED, ServerCalls.asyncUnaryCall((request, reply) -> {
                    lastRequestSize.set(request.length);
                    reply.onNext(pattern(ByteBuffer.wrap(request, 0, 4).getInt()));
                    reply.onCompleted();
                }))
                .addMethod(ECHO, ServerCalls.asyncBidiStreamingCall((StreamObserver<byte[]> reply) ->
                        new StreamObserver<byte[]>() {
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
                // an error before any message: grpc-java answers "trailers-only", one HEADERS frame ending the stream
                .addMethod(DENY, ServerCalls.asyncUnaryCall((request, reply) -> reply.onError(denied())))
                .addMethod(DENY_STREAM, ServerCalls.asyncServerStreamingCall((request, reply) -> reply.onError(denied())))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .flowControlWindow(WINDOW)
                .maxInboundMessageSize(2 * LARGE)
                .addService(service)
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
                    # HTTP/2's own 64 KiB towards the server too: the smallest window at every hop
                    http2: { initialStreamWindow: 65535, connectionWindow: 131070 }
                routes:
                  - name: flow
                    match: { pathPrefix: /flow.Test/ }
                    cluster: grpc
                    timeout: 2m
                """.formatted(server.getPort()), "flow.yaml"), false);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", app.proxy().address().getPort()).usePlaintext()
                .flowControlWindow(WINDOW)
                .maxInboundMessageSize(2 * LARGE)
                .build();
    }

    @AfterAll
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

    private static StatusRuntimeException denied() {
        Metadata trailers = new Metadata();
        trailers.put(DETAIL, "quota-7");
        return Status.PERMISSION_DENIED.withDescription("not for you").asRuntimeException(trailers);
    }

    /** n bytes of a pattern that a lost, repeated or reordered frame cannot keep. */
    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >>> 16));
        }
        return b;
    }

    private static CallOptions deadline() {
        return CallOptions.DEFAULT.withDeadlineAfter(90, TimeUnit.SECONDS);
    }

    @Test
    void fourMebibytesEachWayCrossSixtyFourKibibyteWindows() {
        byte[] request = pattern(LARGE);
        ByteBuffer.wrap(request).putInt(LARGE);

        byte[] response = ClientCalls.blockingUnaryCall(channel, SIZED, deadline(), request);

        assertThat(lastRequestSize.get()).isEqualTo(LARGE);
        assertThat(response).hasSize(LARGE);
        assertThat(Arrays.equals(response, pattern(LARGE))).as("the response arrives intact").isTrue();
    }

    @Test
    void anUploadOfFourMebibytesReachesAnUpstreamWithASixtyFourKibibyteWindow() {
        byte[] request = pattern(LARGE);
        ByteBuffer.wrap(request).putInt(4);

        byte[] response = ClientCalls.blockingUnaryCall(channel, SIZED, deadline(), request);

        assertThat(lastRequestSize.get()).isEqualTo(LARGE);
        assertThat(response).hasSize(4);
    }

    @Test
    void aDownloadOfFourMebibytesReachesAClientWithASixtyFourKibibyteWindow() {
        byte[] request = new byte[4];
        ByteBuffer.wrap(request).putInt(LARGE);

        byte[] response = ClientCalls.blockingUnaryCall(channel, SIZED, deadline(), request);

        assertThat(Arrays.equals(response, pattern(LARGE))).as("the response arrives intact").isTrue();
    }

    @Test
    void aBidirectionalStreamOfTenThousandMessagesEchoesEveryOneInOrder() throws Exception {
        int messages = 10_000;
        List<byte[]> received = new CopyOnWriteArrayList<>();
        List<Throwable> failed = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(ECHO, deadline()),
                new StreamObserver<>() {
                    @Override
                    public void onNext(byte[] value) {
                        received.add(value);
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
        for (int i = 0; i < messages; i++) {
            // 1 KiB each: ten megabytes each way, about 150 client windows' worth
            byte[] message = new byte[1024];
            ByteBuffer.wrap(message).putInt(i);
            requests.onNext(message);
        }
        requests.onCompleted();

        assertThat(done.await(90, TimeUnit.SECONDS)).as("the stream ends").isTrue();
        assertThat(failed).isEmpty();
        assertThat(received).hasSize(messages);
        for (int i = 0; i < messages; i++) {
            assertThat(ByteBuffer.wrap(received.get(i)).getInt()).isEqualTo(i);
        }
    }

    @Test
    void aTrailersOnlyErrorKeepsItsStatusMessageAndTrailers() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> ClientCalls.blockingUnaryCall(channel, DENY, deadline(), new byte[] {1}));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(e.getStatus().getDescription()).isEqualTo("not for you");
        assertThat(e.getTrailers().get(DETAIL)).isEqualTo("quota-7");
    }

    @Test
    void aTrailersOnlyErrorEndsAServerStreamBeforeAnyMessage() {
        Iterator<byte[]> replies = ClientCalls.blockingServerStreamingCall(channel, DENY_STREAM, deadline(),
                new byte[] {1});

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, replies::hasNext);

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(e.getStatus().getDescription()).isEqualTo("not for you");
        assertThat(e.getTrailers().get(DETAIL)).isEqualTo("quota-7");
    }
}
