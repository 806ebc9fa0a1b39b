package dev.proxy.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.proxy.observability.metrics.ProxyMetrics;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;

/**
 * What the admin port shows and does, apart from HTTP: the admin handler turns requests into these calls. Reads are
 * cheap and run on the admin event loop; {@link #reload} blocks and runs on a worker thread.
 */
public interface AdminApi {
    Readiness readiness();

    ProxyMetrics.Scrape scrape(String accept);

    /** The effective config with secrets redacted, its generation and source, and the last reload. */
    JsonNode config();

    /** Every cluster with its endpoints, health, breakers and pools. */
    JsonNode clusters();

    /** Every route in file order. */
    JsonNode routes();

    /** Where a request would go and why: see {@link dev.proxy.core.engine.RouteExplainer}. */
    JsonNode explain(String method, String uri, HttpHeaders headers, InetSocketAddress client);

    /** Everything the status page shows, with counters it turns into rates. */
    JsonNode status();

    /** Whether requests that change something ({@code POST /config/reload}) are taken. */
    boolean writable();

    /** Loads the config file again; the result as for {@code /config}'s last reload. */
    JsonNode reload();
}
