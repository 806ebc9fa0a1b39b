package dev.proxy.core.config;

import java.util.ArrayList;
import java.util.List;

/** Reads {@code server.trustedProxies}, {@code server.clientAddressHeader} and {@code server.proxyProtocol}. */
final class ClientAddressReader {
    private ClientAddressReader() {
    }

    /** Reads the keys from the {@code server} mapping {@code n}; each bad value is reported with its path. */
    static ClientAddressConfig read(ConfigNode n) {
        List<String> texts = n.strings("trustedProxies");
        List<Cidr> trusted = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            try {
                trusted.add(Cidr.parse(texts.get(i)));
            } catch (IllegalArgumentException e) {
                n.problem("trustedProxies[" + i + "]", e.getMessage());
            }
        }
        String headerText = n.string("clientAddressHeader", ClientAddressConfig.Header.X_FORWARDED_FOR.text());
        ClientAddressConfig.Header header = switch (headerText) {
            case "x-forwarded-for" -> ClientAddressConfig.Header.X_FORWARDED_FOR;
            case "forwarded" -> ClientAddressConfig.Header.FORWARDED;
            default -> {
                n.problem("clientAddressHeader", "'" + headerText + "' is not one of x-forwarded-for, forwarded");
                yield ClientAddressConfig.Header.X_FORWARDED_FOR;
            }
        };
        ConfigNode pp = n.object("proxyProtocol");
        String modeText = pp.string("mode", "none");
        ClientAddressConfig.ProxyProtocolMode mode = switch (modeText) {
            case "none" -> ClientAddressConfig.ProxyProtocolMode.NONE;
            case "optional" -> ClientAddressConfig.ProxyProtocolMode.OPTIONAL;
            case "required" -> ClientAddressConfig.ProxyProtocolMode.REQUIRED;
            default -> {
                pp.problem("mode", "'" + modeText + "' is not one of none, optional, required");
                yield ClientAddressConfig.ProxyProtocolMode.NONE;
            }
        };
        boolean trustedOnly = pp.bool("trustedOnly", false);
        if (trustedOnly && trusted.isEmpty()) {
            pp.problem("trustedOnly", "needs server.trustedProxies: the peers a PROXY header is accepted from");
            trustedOnly = false;
        }
        pp.finish();
        return new ClientAddressConfig(trusted, header, mode, trustedOnly);
    }
}
