package dev.proxy.core.tls;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who a verified client certificate names: its SPIFFE ID (a {@code spiffe://} URI SAN) when it has one, as
 * workload identities do, else its subject in RFC 2253 form.
 */
public final class PeerIdentity {
    private static final int URI_SAN = 6;

    private PeerIdentity() {
    }

    /** The identity of the session's peer; empty when it presented no certificate. */
    public static Optional<String> of(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? Optional.of(of(x)) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    static String of(X509Certificate certificate) {
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(URI_SAN).equals(san.get(0))
                            && san.get(1) instanceof String uri && uri.startsWith("spiffe://")) {
                        return uri;
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // a certificate whose SANs cannot be read is named by its subject
        }
        return certificate.getSubjectX500Principal().getName();
    }
}
