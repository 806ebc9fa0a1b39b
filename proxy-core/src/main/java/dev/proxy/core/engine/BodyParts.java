package dev.proxy.core.engine;

import io.netty.util.ReferenceCountUtil;
import java.util.Collection;
import java.util.Iterator;

/** Message parts held by an exchange or a client connection, let go of in one place. */
final class BodyParts {
    private BodyParts() {
    }

    /**
     * Releases every part in {@code parts} (null: nothing) and empties it; the caller owned each one. Parts that are
     * not reference-counted (a message of the codec) are just dropped.
     */
    static void releaseAll(Collection<?> parts) {
        if (parts == null) {
            return;
        }
        for (Iterator<?> it = parts.iterator(); it.hasNext(); ) {
            Object part = it.next();
            it.remove();
            ReferenceCountUtil.release(part);
        }
    }
}
