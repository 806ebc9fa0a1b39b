package dev.proxy.server.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The status page: one self-contained HTML file (styles and script inline, no external assets), read once. */
final class StatusPage {
    static final String HTML = load();

    private StatusPage() {
    }

    private static String load() {
        try (InputStream in = StatusPage.class.getResourceAsStream("/admin/status.html")) {
            if (in == null) {
                throw new IllegalStateException("admin/status.html is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
