package dev.proxy.core.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway CA for TLS tests, and certificates it signs, written as PEM files (chain, PKCS#8 key) the proxy's
 * config can name. Also builds the JDK {@link SSLContext} a test client handshakes with.
 */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path dir;
    private final String caName;
    private final KeyPair caKeys;
    private final X509Certificate ca;

    /** A certificate issued here: its PEM files and the certificate itself. */
    public record Issued(Path certificate, Path key, X509Certificate x509, KeyPair keys) {
    }

    private TestCertificates(Path dir, String caName) throws GeneralSecurityException, IOException {
        this.dir = dir;
        this.caName = caName;
        this.caKeys = keyPair();
        Instant now = Instant.now();
        this.ca = sign(new JcaX509v3CertificateBuilder(new X500Name("CN=" + caName), serial(),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))),
                new X500Name("CN=" + caName), caKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true)));
        write(dir.resolve(caName + ".crt"), ca);
    }

    /** A new CA, writing its files into {@code dir}. */
    public static TestCertificates ca(Path dir, String name) throws GeneralSecurityException, IOException {
        return new TestCertificates(dir, name);
    }

    /** The CA's certificate file, for a trusted-CA setting. */
    public Path caFile() {
        return dir.resolve(caName + ".crt");
    }

    /** A server certificate for {@code dnsNames} (IP literals become IP address names), valid now. */
    public Issued server(String file, String... dnsNames) throws GeneralSecurityException, IOException {
        return issue(file, "CN=" + dnsNames[0], Instant.now().minus(Duration.ofDays(1)),
                Instant.now().plus(Duration.ofDays(90)), dnsNames, null);
    }

    /** A client certificate with {@code subject}, and a SPIFFE ID when {@code spiffeId} is not null. */
    public Issued client(String file, String subject, String spiffeId) throws GeneralSecurityException, IOException {
        return issue(file, subject, Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(90)),
                new String[0], spiffeId);
    }

    /** A certificate for {@code dnsNames} that expired yesterday. */
    public Issued expired(String file, String... dnsNames) throws GeneralSecurityException, IOException {
        return issue(file, "CN=" + dnsNames[0], Instant.now().minus(Duration.ofDays(30)),
                Instant.now().minus(Duration.ofDays(1)), dnsNames, null);
    }

    private Issued issue(String file, String subject, Instant from, Instant to, String[] dnsNames, String uri)
            throws GeneralSecurityException, IOException {
        KeyPair keys = keyPair();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(), Date.from(from), Date.from(to),
                new X500Name(subject), keys.getPublic());
        List<GeneralName> sans = new ArrayList<>();
        for (String name : dnsNames) {
            // an IP literal is an iPAddress name: clients connecting to https://127.0.0.1 check that, not a DNS name
            boolean ip = name.matches("[0-9.]+") || name.contains(":");
            sans.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, name));
        }
        if (uri != null) {
            sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
        }
        if (!sans.isEmpty()) {
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(sans.toArray(GeneralName[]::new)));
        }
        X509Certificate x509 = sign(b);
        Path cert = dir.resolve(file + ".crt");
        Path key = dir.resolve(file + ".key");
        write(cert, x509);
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
            w.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
        }
        Files.writeString(key, pem.toString(), StandardCharsets.US_ASCII);
        return new Issued(cert, key, x509, keys);
    }

    /** A client context that trusts this CA and presents {@code identity} when not null. */
    public SSLContext clientContext(Issued identity) throws GeneralSecurityException, IOException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (identity != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("me", identity.keys().getPrivate(), new char[0],
                    new java.security.cert.Certificate[] {identity.x509(), ca});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
        return context;
    }

    /** A client context that trusts the CA certificate in {@code caFile} and presents no certificate. */
    public static SSLContext trusting(Path caFile) throws GeneralSecurityException, IOException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(caFile)) {
            trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), new SecureRandom());
        return context;
    }

    private X509Certificate sign(X509v3CertificateBuilder builder) throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static void write(Path file, X509Certificate certificate) throws IOException {
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
            w.writeObject(certificate);
        }
        Files.writeString(file, pem.toString(), StandardCharsets.US_ASCII);
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }
}
