package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.proxy.core.config.ConfigReader;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.testing.integration.AbstractInteropTest;
import io.grpc.testing.integration.TestCases;
import io.grpc.testing.integration.TestServiceClient;
import io.grpc.testing.integration.TestServiceImpl;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The gRPC interop suite of grpc-java ({@code io.grpc:grpc-interop-testing}), unmodified, through the proxy: the
 * suite's own server ({@link TestServiceImpl} with its interceptors, on a Netty server, as {@code TestServiceServer}
 * builds it) behind a {@code protocol: h2} cluster, and the suite's own client ({@link TestServiceClient#main}, with
 * its 65 KiB flow-control window) calling the proxy over h2c, one case per test. Every case of the standard list
 * passes; a case that fails throws out of the client and fails the build. The cases left out need credentials of a
 * cloud (compute_engine_creds, jwt_token_creds, ...), several servers (pick_first_unary), a load balancer of the
 * client's own (orca_*), or are soak loops of large_unary (rpc_soak, channel_soak); none is about the proxy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcInteropIntegrationTest {
    private ScheduledExecutorService executor;
    private Server server;
    private ProxyApp app;

    @BeforeAll
    void start() throws Exception {
        executor = Executors.newScheduledThreadPool(2);
        // as TestServiceServer.start() builds it, on a free loopback port, without its ORCA service
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        InsecureServerCredentials.create())
                .maxInboundMessageSize(AbstractInteropTest.MAX_MESSAGE_SIZE)
                .addService(ServerInterceptors.intercept(new TestServiceImpl(executor), TestServiceImpl.interceptors()))
                .build().start();
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                observability:
                  accessLog: { enabled: false }
                clusters:
                  - name: interop
                    endpoints: [ { address: 127.0.0.1:%d } ]
                    protocol: h2
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: interop
                    timeout: 1m
                    # a gRPC call's request body is all its messages; very_large_request sends one of 10 MiB
                    maxBodySize: 16MiB
                """.formatted(server.getPort()), "interop.yaml"), false);
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (app != null) {
            app.stop(Duration.ZERO);
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    @ParameterizedTest(name = "{0}")
    // the standard list of grpc's interop descriptions; the client-compression cases as their "noprobe" variants (see
    // probeVariantsNeedAServerThatChecksCompression)
    @EnumSource(value = TestCases.class, names = {"EMPTY_UNARY", "LARGE_UNARY", "CLIENT_COMPRESSED_UNARY_NOPROBE",
        "SERVER_COMPRESSED_UNARY", "CLIENT_STREAMING", "CLIENT_COMPRESSED_STREAMING_NOPROBE", "SERVER_STREAMING",
        "SERVER_COMPRESSED_STREAMING", "PING_PONG", "EMPTY_STREAM", "CUSTOM_METADATA", "STATUS_CODE_AND_MESSAGE",
        "SPECIAL_STATUS_MESSAGE", "UNIMPLEMENTED_METHOD", "UNIMPLEMENTED_SERVICE", "CANCEL_AFTER_BEGIN",
        "CANCEL_AFTER_FIRST_RESPONSE", "TIMEOUT_ON_SLEEPING_SERVER", "VERY_LARGE_REQUEST"})
    void passesThroughTheProxy(TestCases testCase) throws Exception {
        // throws (an AssertionError, a StatusRuntimeException) when the case fails
        runClient(app.proxy().address().getPort(), testCase);
    }

    /**
     * client_compressed_unary and client_compressed_streaming first "probe": they send an uncompressed message that
     * says it expects to be compressed and want INVALID_ARGUMENT. grpc-java's server API cannot see whether a message
     * came compressed, so its TestServiceImpl never answers that (its interop runner skips those cases for a Java
     * server, and the cases' javadoc says they are meant for a C++ server). They fail against the suite's server
     * directly, without the proxy; the "noprobe" variants above run the same compressed calls without the probe.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestCases.class, names = {"CLIENT_COMPRESSED_UNARY", "CLIENT_COMPRESSED_STREAMING"})
    void probeVariantsNeedAServerThatChecksCompression(TestCases testCase) {
        assertThatThrownBy(() -> runClient(server.getPort(), testCase))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("expected INVALID_ARGUMENT");
    }

    private static void runClient(int port, TestCases testCase) throws Exception {
        TestServiceClient.main(new String[] {
            "--server_host=127.0.0.1",
            "--server_port=" + port,
            "--use_tls=false",
            "--test_case=" + testCase,
        });
    }
}
