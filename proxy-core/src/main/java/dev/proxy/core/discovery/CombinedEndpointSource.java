package dev.proxy.core.discovery;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Several sources that follow disjoint clusters, seen as one. Thread-safe as its sources are. */
final class CombinedEndpointSource implements EndpointSource {
    private final List<EndpointSource> sources;

    CombinedEndpointSource(List<? extends EndpointSource> sources) {
        this.sources = List.copyOf(sources);
    }

    @Override
    public void start(EndpointSink sink) {
        sources.forEach(s -> s.start(sink));
    }

    @Override
    public Set<String> clusters() {
        Set<String> all = new LinkedHashSet<>();
        sources.forEach(s -> all.addAll(s.clusters()));
        return all;
    }

    @Override
    public DiscoveryStatus status() {
        return DiscoveryStatus.combine(sources.stream().map(EndpointSource::status).toList());
    }

    @Override
    public void close() {
        sources.forEach(EndpointSource::close);
    }
}
