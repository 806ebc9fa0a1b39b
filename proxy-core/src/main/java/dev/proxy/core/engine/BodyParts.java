package dev.proxy.core.engine;

import io.netty.handler.codec.http.HttpContent;
import java.util.Collection;
import java.util.Iterator;

/** Body parts held by an exchange, let go of in one place. */
final class BodyParts {
    private BodyParts() {
    }

    /** Releases every part in {@code parts} (null: nothing) and empties it; the caller owned each one. */
    static void releaseAll(Collection<HttpContent> parts) {
        if (parts == null) {
            return;
        }
        for (Iterator<HttpContent> it = parts.iterator(); it.hasNext(); ) {
            HttpContent part = it.next();
            it.remove();
            part.release();
        }
    }
}
