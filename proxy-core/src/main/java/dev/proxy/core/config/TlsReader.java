package dev.proxy.core.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads {@code server.tls} and a cluster's {@code tls}. Part of {@link ConfigReader}: the only other place that
 * knows these keys. Files are checked to exist when the proxy builds its TLS contexts, not here.
 */
final class TlsReader {
    private static final Pattern SERVER_NAME = Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?"
            + "(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
    private static final Pattern PROTOCOL = Pattern.compile("TLSv1\\.[23]");

    private TlsReader() {
    }

    static TlsConfig listener(ConfigNode t) {
        List<CertificateConfig> certificates = new ArrayList<>();
        for (ConfigNode c : t.objects("certificates")) {
            Optional<String> cert = c.requiredString("certificate");
            Optional<String> key = c.requiredString("key");
            List<String> names = new ArrayList<>();
            for (String name : c.strings("serverNames")) {
                String n = name.trim().toLowerCase(Locale.ROOT);
                if (!SERVER_NAME.matcher(n).matches()) {
                    c.problem("serverNames", "'" + name + "' is not a host name or *.suffix wildcard");
                }
                names.add(n);
            }
            c.finish();
            if (cert.isPresent() && key.isPresent()) {
                certificates.add(new CertificateConfig(Path.of(cert.get()), Path.of(key.get()), names));
            }
        }
        if (!t.has("certificates")) {
            t.problem("certificates", "is required: at least one { certificate, key }");
        }
        List<String> protocols = t.has("protocols") ? t.strings("protocols") : TlsConfig.DEFAULT_PROTOCOLS;
        for (String p : protocols) {
            if (!PROTOCOL.matcher(p).matches()) {
                t.problem("protocols", "'" + p + "' is not one of TLSv1.3, TLSv1.2");
            }
        }
        List<String> ciphers = t.strings("ciphers");
        ClientAuthConfig clientAuth = t.optionalObject("clientAuth").map(TlsReader::clientAuth)
                .orElse(ClientAuthConfig.NONE);
        t.finish();
        return new TlsConfig(certificates, protocols, ciphers, clientAuth);
    }

    private static ClientAuthConfig clientAuth(ConfigNode a) {
        String modeText = a.string("mode", "required");
        ClientAuthConfig.Mode mode = switch (modeText) {
            case "none" -> ClientAuthConfig.Mode.NONE;
            case "optional" -> ClientAuthConfig.Mode.OPTIONAL;
            case "required" -> ClientAuthConfig.Mode.REQUIRED;
            default -> {
                a.problem("mode", "'" + modeText + "' is not one of none, optional, required");
                yield ClientAuthConfig.Mode.REQUIRED;
            }
        };
        Optional<Path> ca = a.string("trustedCa").map(Path::of);
        if (mode != ClientAuthConfig.Mode.NONE && ca.isEmpty()) {
            a.problem("trustedCa", "is required: the CA bundle client certificates must chain to");
        }
        Optional<String> header = a.headerName("forwardHeader");
        a.finish();
        return new ClientAuthConfig(mode, ca, header);
    }

    static UpstreamTlsConfig upstream(ConfigNode t) {
        Optional<Path> ca = t.string("trustedCa").map(Path::of);
        Optional<String> serverName = t.string("serverName").map(s -> s.trim().toLowerCase(Locale.ROOT));
        serverName.filter(s -> !SERVER_NAME.matcher(s).matches() || s.startsWith("*."))
                .ifPresent(s -> t.problem("serverName", "'" + s + "' is not a host name"));
        Optional<Path> cert = t.string("certificate").map(Path::of);
        Optional<Path> key = t.string("key").map(Path::of);
        if (cert.isPresent() != key.isPresent()) {
            t.problem(cert.isPresent() ? "key" : "certificate", "is required with "
                    + (cert.isPresent() ? "certificate" : "key") + ": a client certificate needs its key");
        }
        boolean verify = t.bool("verify", true);
        t.finish();
        return new UpstreamTlsConfig(ca, serverName, cert, key, verify);
    }
}
