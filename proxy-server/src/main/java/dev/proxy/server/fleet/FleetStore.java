package dev.proxy.server.fleet;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The fleet's config key in etcd, read and written whole: the current version, a past one (etcd keeps every revision
 * until it is compacted), the history, and a compare-and-swap put. Blocking calls, each bounded by the request
 * timeout: for the command line and the start, never an event loop. Does not own the client.
 */
final class FleetStore {
    private final Client client;
    private final ByteSequence key;
    private final Duration timeout;

    /** The revision the caller expected did not match: someone else wrote the key meanwhile. */
    static final class ConflictException extends RuntimeException {
        private final long actual;

        ConflictException(long expected, long actual) {
            super("the config in etcd is at revision " + actual + ", not " + expected
                    + ": someone else changed it; look with 'proxy config diff' and push again");
            this.actual = actual;
        }

        /** The key's revision now; 0 when it has none. */
        long actual() {
            return actual;
        }
    }

    FleetStore(Client client, String key, Duration timeout) {
        this.client = requireNonNull(client, "client");
        this.key = ByteSequence.from(requireNonNull(key, "key"), UTF_8);
        this.timeout = requireNonNull(timeout, "timeout");
    }

    /** The version in etcd now; empty when the key holds none. */
    Optional<FleetValue> current() {
        return first(await(client.getKVClient().get(key)));
    }

    /**
     * The version the key held at store revision {@code revision}; empty when it held none.
     *
     * @throws io.etcd.jetcd.common.exception.CompactedException (wrapped) when etcd compacted that revision away
     */
    Optional<FleetValue> at(long revision) {
        return first(await(client.getKVClient().get(key, GetOption.builder().withRevision(revision).build())));
    }

    /**
     * Up to {@code max} versions, newest first, walked back through etcd's revisions until the key did not exist or
     * the revisions were compacted away.
     */
    List<FleetValue> history(int max) {
        List<FleetValue> versions = new ArrayList<>();
        Optional<FleetValue> next = current();
        while (next.isPresent() && versions.size() < max) {
            versions.add(next.get());
            long before = next.get().revision() - 1;
            if (before < 1) {
                break;
            }
            try {
                next = at(before);
            } catch (RuntimeException e) {
                if (compacted(e)) {
                    break;
                }
                throw e;
            }
        }
        return versions;
    }

    /**
     * Writes {@code yaml} as the new version; with {@code expectRevision}, only if the key's revision is still that
     * (0: only if the key holds nothing), in one etcd transaction.
     *
     * @return the revision of the new version
     * @throws ConflictException the key's revision was not the expected one; nothing was written
     */
    long put(String yaml, OptionalLong expectRevision) {
        ByteSequence value = ByteSequence.from(yaml, UTF_8);
        if (expectRevision.isEmpty()) {
            return await(client.getKVClient().put(key, value)).getHeader().getRevision();
        }
        long expected = expectRevision.getAsLong();
        TxnResponse txn = await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(expected)))
                .Then(Op.put(key, value, PutOption.DEFAULT))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit());
        if (!txn.isSucceeded()) {
            long actual = txn.getGetResponses().stream().flatMap(r -> r.getKvs().stream())
                    .mapToLong(KeyValue::getModRevision).findFirst().orElse(0);
            throw new ConflictException(expected, actual);
        }
        return txn.getHeader().getRevision();
    }

    static boolean compacted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof io.etcd.jetcd.common.exception.CompactedException) {
                return true;
            }
        }
        return false;
    }

    private static Optional<FleetValue> first(GetResponse response) {
        return response.getKvs().stream().findFirst().map(FleetStore::value);
    }

    static FleetValue value(KeyValue kv) {
        return new FleetValue(kv.getValue().toString(UTF_8), kv.getModRevision(), FleetValue.Origin.ETCD);
    }

    private <T> T await(CompletableFuture<T> call) {
        try {
            return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new CompletionException(e.getCause());
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new CompletionException("etcd did not answer within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        }
    }
}
