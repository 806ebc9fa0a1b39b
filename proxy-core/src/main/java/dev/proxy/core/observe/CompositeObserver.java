package dev.proxy.core.observe;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.Http2Error;
import java.util.ArrayList;
import java.util.List;

/**
 * Several observers as one; a request allocates a composite only when more than one of them follows it, and a
 * cluster or route gets one only when more than one of them observes it.
 */
final class CompositeObserver implements ProxyObserver {
    private final ProxyObserver[] observers;

    CompositeObserver(List<ProxyObserver> observers) {
        this.observers = observers.toArray(ProxyObserver[]::new);
    }

    @Override
    public void connectionOpened() {
        for (ProxyObserver o : observers) {
            o.connectionOpened();
        }
    }

    @Override
    public void connectionClosed() {
        for (ProxyObserver o : observers) {
            o.connectionClosed();
        }
    }

    @Override
    public void connectionRejected(ProxyError reason) {
        for (ProxyObserver o : observers) {
            o.connectionRejected(reason);
        }
    }

    @Override
    public void proxyProtocolRejected(ProxyProtocolRejection reason) {
        for (ProxyObserver o : observers) {
            o.proxyProtocolRejected(reason);
        }
    }

    @Override
    public void tlsHandshake(boolean success, String protocolOrReason, long nanos) {
        for (ProxyObserver o : observers) {
            o.tlsHandshake(success, protocolOrReason, nanos);
        }
    }

    @Override
    public void http2StreamOpened() {
        for (ProxyObserver o : observers) {
            o.http2StreamOpened();
        }
    }

    @Override
    public void http2StreamReset() {
        for (ProxyObserver o : observers) {
            o.http2StreamReset();
        }
    }

    @Override
    public void http2ProtocolError(Http2Error error, boolean connection) {
        for (ProxyObserver o : observers) {
            o.http2ProtocolError(error, connection);
        }
    }

    @Override
    public void tunnelOpened() {
        for (ProxyObserver o : observers) {
            o.tunnelOpened();
        }
    }

    @Override
    public void tunnelClosed(long bytesFromClient, long bytesFromUpstream) {
        for (ProxyObserver o : observers) {
            o.tunnelClosed(bytesFromClient, bytesFromUpstream);
        }
    }

    @Override
    public ExchangeObserver exchangeStarted(HttpRequest request, HttpProtocol protocol) {
        ExchangeObserver single = ExchangeObserver.NONE;
        ExchangeObserver[] many = null;
        int n = 0;
        for (int i = 0; i < observers.length; i++) {
            ExchangeObserver x = observers[i].exchangeStarted(request, protocol);
            if (x == ExchangeObserver.NONE) {
                continue;
            }
            if (n == 0) {
                single = x;
            } else {
                if (many == null) {
                    many = new ExchangeObserver[observers.length];
                    many[0] = single;
                }
                many[n] = x;
            }
            n++;
        }
        return many == null ? single : new Exchanges(many, n);
    }

    @Override
    public ClusterObserver cluster(String name) {
        List<ClusterObserver> live = new ArrayList<>(observers.length);
        for (ProxyObserver o : observers) {
            ClusterObserver c = o.cluster(name);
            if (c != ClusterObserver.NONE) {
                live.add(c);
            }
        }
        return live.isEmpty() ? ClusterObserver.NONE
                : live.size() == 1 ? live.get(0) : new Clusters(live.toArray(ClusterObserver[]::new));
    }

    @Override
    public RouteObserver route(String name) {
        List<RouteObserver> all = new ArrayList<>(observers.length);
        for (ProxyObserver o : observers) {
            all.add(o.route(name));
        }
        return routes(all);
    }

    @Override
    public RouteObserver unrouted() {
        List<RouteObserver> all = new ArrayList<>(observers.length);
        for (ProxyObserver o : observers) {
            all.add(o.unrouted());
        }
        return routes(all);
    }

    /** The live ones of {@code all} as one: none, the only one itself, or a composite. */
    private static RouteObserver routes(List<RouteObserver> all) {
        all.removeIf(r -> r == RouteObserver.NONE);
        return all.isEmpty() ? RouteObserver.NONE
                : all.size() == 1 ? all.get(0) : new Routes(all.toArray(RouteObserver[]::new));
    }

    private static final class Exchanges implements ExchangeObserver {
        private final ExchangeObserver[] observers;
        private final int count;

        Exchanges(ExchangeObserver[] observers, int count) {
            this.observers = observers;
            this.count = count;
        }

        @Override
        public void attemptStarted(String cluster, Endpoint endpoint, HttpRequest upstreamRequest) {
            for (int i = 0; i < count; i++) {
                observers[i].attemptStarted(cluster, endpoint, upstreamRequest);
            }
        }

        @Override
        public void attemptEnded(String cluster, int status, ProxyError error, long nanos) {
            for (int i = 0; i < count; i++) {
                observers[i].attemptEnded(cluster, status, error, nanos);
            }
        }

        @Override
        public void retrying(String cluster, int status, ProxyError error) {
            for (int i = 0; i < count; i++) {
                observers[i].retrying(cluster, status, error);
            }
        }

        @Override
        public void ended(ExchangeRecord record) {
            for (int i = 0; i < count; i++) {
                observers[i].ended(record);
            }
        }

        @Override
        public String traceId() {
            for (int i = 0; i < count; i++) {
                String id = observers[i].traceId();
                if (id != null) {
                    return id;
                }
            }
            return null;
        }

        @Override
        public String spanId() {
            for (int i = 0; i < count; i++) {
                String id = observers[i].spanId();
                if (id != null) {
                    return id;
                }
            }
            return null;
        }
    }

    private static final class Routes implements RouteObserver {
        private final RouteObserver[] observers;

        Routes(RouteObserver[] observers) {
            this.observers = observers;
        }

        @Override
        public void ended(ExchangeRecord record) {
            for (RouteObserver o : observers) {
                o.ended(record);
            }
        }
    }

    private static final class Clusters implements ClusterObserver {
        private final ClusterObserver[] observers;

        Clusters(ClusterObserver[] observers) {
            this.observers = observers;
        }

        @Override
        public void attemptEnded(int status, ProxyError error, long nanos) {
            for (ClusterObserver o : observers) {
                o.attemptEnded(status, error, nanos);
            }
        }

        @Override
        public void retrying(int status, ProxyError error) {
            for (ClusterObserver o : observers) {
                o.retrying(status, error);
            }
        }

        @Override
        public void connected(long nanos) {
            for (ClusterObserver o : observers) {
                o.connected(nanos);
            }
        }

        @Override
        public void connectFailed() {
            for (ClusterObserver o : observers) {
                o.connectFailed();
            }
        }

        @Override
        public void connectionClosed() {
            for (ClusterObserver o : observers) {
                o.connectionClosed();
            }
        }

        @Override
        public void leased(boolean reused) {
            for (ClusterObserver o : observers) {
                o.leased(reused);
            }
        }

        @Override
        public void acquireTimedOut() {
            for (ClusterObserver o : observers) {
                o.acquireTimedOut();
            }
        }

        @Override
        public void ejected() {
            for (ClusterObserver o : observers) {
                o.ejected();
            }
        }

        @Override
        public void zonePicked(boolean local) {
            for (ClusterObserver o : observers) {
                o.zonePicked(local);
            }
        }

        @Override
        public void breakerTransition(String state) {
            for (ClusterObserver o : observers) {
                o.breakerTransition(state);
            }
        }
    }
}
