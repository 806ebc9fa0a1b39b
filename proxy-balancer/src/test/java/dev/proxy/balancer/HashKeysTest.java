package dev.proxy.balancer;

import static dev.proxy.balancer.Fixtures.endpoint;
import static dev.proxy.balancer.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.HashKey;
import dev.proxy.core.Endpoint;
import io.netty.channel.local.LocalAddress;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HashKeysTest {
    private static final SocketAddress CLIENT = new InetSocketAddress("192.0.2.10", 40000);
    private static final Optional<Endpoint> FALLBACK = Optional.of(endpoint(99));

    /** The hashes the lookup was asked for; none when the fallback was used instead. */
    private final List<Long> hashes = new ArrayList<>();
    private final HashLookup recorder = hash -> {
        hashes.add(hash);
        return Optional.of(endpoint(0));
    };
    private final LoadBalancer fallback = (request, client) -> FALLBACK;

    @Test
    void hashesTheHeaderValueWhateverTheCaseOfItsName() {
        HttpRequest request = request("/");
        request.headers().set("X-User", "alice");

        assertThat(keyHash(HashKey.Source.HEADER, "x-user", request, CLIENT)).hasValue(Hashing.hash("alice"));
    }

    @Test
    void fallsBackWhenTheHeaderIsMissingOrEmpty() {
        HttpRequest empty = request("/");
        empty.headers().set("x-user", "");

        assertThat(keyHash(HashKey.Source.HEADER, "x-user", request("/"), CLIENT)).isEmpty();
        assertThat(keyHash(HashKey.Source.HEADER, "x-user", empty, CLIENT)).isEmpty();
    }

    @Test
    void hashesTheNamedCookiesValue() {
        assertThat(cookieHash("theme=dark; session=abc123; lang=en")).hasValue(Hashing.hash("abc123"));
        assertThat(cookieHash("session=abc123")).hasValue(Hashing.hash("abc123"));
        assertThat(cookieHash("xsession=wrong; session_id=wrong; session=abc123")).hasValue(Hashing.hash("abc123"));
        assertThat(cookieHash("session=\"abc123\"")).hasValue(Hashing.hash("abc123"));
        assertThat(cookieHash("lang=en;  session = abc123 ;x=1")).hasValue(Hashing.hash("abc123"));
        assertThat(cookieHash("flag; session=abc123")).hasValue(Hashing.hash("abc123"));
        assertThat(cookieHash("session=abc123; session=later")).hasValue(Hashing.hash("abc123"));
        assertThat(cookieHash("session=a=b==")).hasValue(Hashing.hash("a=b=="));
    }

    @Test
    void readsTheSameCookieValueAsNettysStrictDecoder() {
        for (String header : List.of("theme=dark; session=abc123; lang=en", "session=\"q1w2e3\"",
                "a=1; session=Zm9vYmFy==; b=2", "a=1,b=2; session=tok", "session=x; session=y", "z=1;session=tok-42")) {
            String value = ServerCookieDecoder.STRICT.decodeAll(header).stream()
                    .filter(c -> c.name().equals("session")).map(Cookie::value).findFirst().orElseThrow();

            assertThat(cookieHash(header)).as(header).hasValue(Hashing.hash(value));
        }
    }

    @Test
    void fallsBackWhenTheCookieIsMissingOrEmpty() {
        assertThat(keyHash(HashKey.Source.COOKIE, "session", request("/"), CLIENT)).isEmpty();
        assertThat(cookieHash("theme=dark; lang=en")).isEmpty();
        assertThat(cookieHash("Session=abc123")).isEmpty(); // cookie names are case-sensitive
        assertThat(cookieHash("session=; other=abc")).isEmpty();
        assertThat(cookieHash("session=\"\"")).isEmpty();
        assertThat(cookieHash("")).isEmpty();
        assertThat(cookieHash("session")).isEmpty();
    }

    @Test
    void hashesTheClientsIpAddressBytesWhateverItsPort() throws UnknownHostException {
        byte[] v4 = {(byte) 192, 0, 2, 10};
        byte[] v6 = InetAddress.getByName("2001:db8::1").getAddress();

        assertThat(ipHash(new InetSocketAddress("192.0.2.10", 40000))).hasValue(Hashing.xxHash64(v4, 0, 4, 0));
        assertThat(ipHash(new InetSocketAddress("192.0.2.10", 51234))).hasValue(Hashing.xxHash64(v4, 0, 4, 0));
        assertThat(ipHash(new InetSocketAddress("2001:db8::1", 40000))).hasValue(Hashing.xxHash64(v6, 0, 16, 0));
        assertThat(ipHash(new InetSocketAddress("192.0.2.11", 40000))).isNotEqualTo(
                ipHash(new InetSocketAddress("192.0.2.10", 40000)));
    }

    @Test
    void hashesAnUnresolvedClientByItsHostString() {
        assertThat(ipHash(InetSocketAddress.createUnresolved("client.example", 1))).hasValue(
                Hashing.hash("client.example"));
    }

    @Test
    void fallsBackWhenTheClientHasNoIpAddress() {
        assertThat(ipHash(new LocalAddress("in-process"))).isEmpty();
    }

    @Test
    void hashesThePathWithoutTheQuery() {
        long path = Hashing.hash("/api/orders");

        assertThat(pathHash("/api/orders")).hasValue(path);
        assertThat(pathHash("/api/orders?page=2")).hasValue(path);
        assertThat(pathHash("/api/orders?page=3&sort=asc")).hasValue(path);
        assertThat(pathHash("/api/orders#top")).hasValue(path);
        assertThat(pathHash("http://shop.example:8080/api/orders?page=2")).hasValue(path);
        assertThat(pathHash("/api/orders/7")).isNotEqualTo(OptionalLong.of(path));
    }

    @Test
    void hashesAnAbsoluteTargetWithoutPathAsTheRootAndAnAsteriskAsItself() {
        assertThat(pathHash("http://shop.example?next=/api/orders")).hasValue(Hashing.hash("/"));
        assertThat(pathHash("http://shop.example")).hasValue(Hashing.hash("/"));
        assertThat(pathHash("*")).hasValue(Hashing.hash("*"));
    }

    private OptionalLong cookieHash(String cookieHeader) {
        HttpRequest request = request("/");
        request.headers().set(HttpHeaderNames.COOKIE, cookieHeader);
        return keyHash(HashKey.Source.COOKIE, "session", request, CLIENT);
    }

    private OptionalLong ipHash(SocketAddress client) {
        return keyHash(HashKey.Source.CLIENT_IP, "", request("/"), client);
    }

    private OptionalLong pathHash(String uri) {
        return keyHash(HashKey.Source.PATH, "", request(uri), CLIENT);
    }

    /** The hash {@link HashKeys} looked up, or empty if it fell back for want of a key. */
    private OptionalLong keyHash(HashKey.Source source, String name, HttpRequest request, SocketAddress client) {
        hashes.clear();
        Optional<Endpoint> picked = new HashKeys(new HashKey(source, name)).pick(request, client, recorder, fallback);
        if (hashes.isEmpty()) {
            assertThat(picked).isSameAs(FALLBACK);
            return OptionalLong.empty();
        }
        assertThat(hashes).hasSize(1);
        return OptionalLong.of(hashes.get(0));
    }
}
