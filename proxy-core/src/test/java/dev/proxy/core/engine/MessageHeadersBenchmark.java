package dev.proxy.core.engine;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.runtime.HeaderRules;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of the proxy's header rewrite of one exchange ({@link MessageHeaders#forRequest} on a browser-like request,
 * {@link MessageHeaders#forResponse} on a typical response), each on a fresh copy of the message as the decoder would
 * give it. {@code copyOnly} measures the copies alone, to subtract.
 *
 * <p>Not a test: surefire skips it by name. Run it with {@code deploy/bench/jmh.sh proxy-core MessageHeadersBenchmark};
 * add {@code -prof gc} for bytes allocated per exchange.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MessageHeadersBenchmark {
    private HttpHeaders requestHeaders;
    private HttpHeaders responseHeaders;

    @Setup
    public void setUp() {
        requestHeaders = DefaultHttpHeadersFactory.headersFactory().newHeaders()
                .add("Host", "shop.example.com")
                .add("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
                .add("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
                .add("Accept-Language", "en-GB,en;q=0.5")
                .add("Accept-Encoding", "gzip, deflate, br")
                .add("Connection", "keep-alive")
                .add("Cookie", "session=3f6c1e2a-5b1d-4c7e-9a1f-2b3c4d5e6f70; theme=dark");
        responseHeaders = DefaultHttpHeadersFactory.headersFactory().newHeaders()
                .add("Server", "nginx")
                .add("Date", "Thu, 26 Nov 2026 13:00:00 GMT")
                .add("Content-Type", "text/html; charset=utf-8")
                .add("Content-Length", "5120")
                .add("Connection", "keep-alive")
                .add("Cache-Control", "no-cache");
    }

    private HttpRequest request() {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/products/42?ref=home",
                requestHeaders.copy());
    }

    private HttpResponse response() {
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, responseHeaders.copy());
    }

    @Benchmark
    public Object copyOnly() {
        request();
        return response();
    }

    @Benchmark
    public Object rewriteExchange() {
        HttpRequest request = request();
        MessageHeaders.forRequest(request, HttpProtocol.HTTP_1_1, "10.1.2.3", "shop.example.com", "shop.example.com",
                "/products/42?ref=home", false, false, false, HeaderRules.NONE, v -> null);
        HttpResponse response = response();
        MessageHeaders.forResponse(response, HttpProtocol.HTTP_1_1, HttpProtocol.HTTP_1_1, false, true,
                HeaderRules.NONE, v -> null);
        return response;
    }
}
