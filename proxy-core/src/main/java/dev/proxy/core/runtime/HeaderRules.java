package dev.proxy.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.HeaderEditConfig;
import dev.proxy.core.config.HeaderValue;
import dev.proxy.core.config.HeaderVariable;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One direction's header edits compiled for the request path: names as {@link AsciiString}s, literal values ready to
 * write, and a value with variables as its literal pieces. Applied in the documented order: remove, set, add. A value
 * whose variable is absent for the request (no client certificate for {@code ${tls_identity}}) is not written: a
 * {@code set} then removes the header, an {@code add} adds nothing.
 * Built once per snapshot; immutable and shared by all event loops.
 */
public final class HeaderRules {
    /** No edits: {@link #apply} does nothing. */
    public static final HeaderRules NONE = new HeaderRules(HeaderEditConfig.NONE);

    /** Where a variable's value comes from: the exchange being forwarded. Called on its event loop. */
    @FunctionalInterface
    public interface Variables {
        /** The variable's value for this request, or null when it has none. */
        String value(HeaderVariable variable);
    }

    private final AsciiString[] remove;
    private final Edit[] set;
    private final Edit[] add;
    /** Rules applied after these (a route's after its cluster's), or null. */
    private final HeaderRules next;

    private HeaderRules(HeaderEditConfig config) {
        this.remove = config.remove().stream().map(AsciiString::cached).toArray(AsciiString[]::new);
        this.set = edits(config.set());
        this.add = edits(config.add());
        this.next = null;
    }

    private HeaderRules(HeaderRules first, HeaderRules next) {
        this.remove = first.remove;
        this.set = first.set;
        this.add = first.add;
        this.next = first.next == null ? next : first.next.then(next);
    }

    /** These rules, then {@code after}'s: a header {@code after} sets wins. Composed once, not per request. */
    public HeaderRules then(HeaderRules after) {
        if (after.isEmpty()) {
            return this;
        }
        return isEmpty() ? after : new HeaderRules(this, after);
    }

    /** The rules of {@code config}; {@link #NONE} when it has no edits. */
    public static HeaderRules of(HeaderEditConfig config) {
        requireNonNull(config, "config");
        return config.isEmpty() ? NONE : new HeaderRules(config);
    }

    public boolean isEmpty() {
        return remove.length == 0 && set.length == 0 && add.length == 0 && next == null;
    }

    /** Edits {@code headers} in place: removes, then sets, then adds. */
    public void apply(HttpHeaders headers, Variables variables) {
        for (AsciiString name : remove) {
            headers.remove(name);
        }
        for (Edit e : set) {
            CharSequence value = e.render(variables);
            if (value != null) {
                headers.set(e.name, value);
            } else {
                // "set" means the request carries this value or none: a client's own value must not stay in its place
                headers.remove(e.name);
            }
        }
        for (Edit e : add) {
            CharSequence value = e.render(variables);
            if (value != null) {
                headers.add(e.name, value);
            }
        }
        if (next != null) {
            next.apply(headers, variables);
        }
    }

    private static Edit[] edits(Map<String, HeaderValue> values) {
        List<Edit> result = new ArrayList<>(values.size());
        values.forEach((name, value) -> result.add(new Edit(AsciiString.cached(name), value)));
        return result.toArray(new Edit[0]);
    }

    /** One header to write: a fixed value, or pieces joined around variables. */
    private static final class Edit {
        final AsciiString name;
        /** The whole value when it has no variables, else null. */
        final AsciiString literal;
        final String[] literals;
        final HeaderVariable[] variables;

        Edit(AsciiString name, HeaderValue value) {
            this.name = name;
            this.literal = value.isLiteral() ? AsciiString.cached(value.text()) : null;
            this.literals = value.literals().toArray(new String[0]);
            this.variables = value.variables().toArray(new HeaderVariable[0]);
        }

        /** The value for this request, or null when a variable it names is absent. */
        CharSequence render(Variables vars) {
            if (literal != null) {
                return literal;
            }
            StringBuilder b = new StringBuilder(64).append(literals[0]);
            for (int i = 0; i < variables.length; i++) {
                String v = vars.value(variables[i]);
                if (v == null || v.isEmpty()) {
                    return null;
                }
                b.append(v).append(literals[i + 1]);
            }
            return b.toString();
        }
    }
}
