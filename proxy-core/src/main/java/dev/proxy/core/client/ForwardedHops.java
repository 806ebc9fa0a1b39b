package dev.proxy.core.client;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the hops of {@code X-Forwarded-For} and RFC 7239 {@code Forwarded} header values, left (the first proxy's
 * client) to right (the last proxy's client). A hop that names no IP address ({@code unknown}, an obfuscated
 * {@code _node}, a name, garbage, a {@code Forwarded} element without {@code for=}) is a null entry: its address is
 * unknown. Never asks DNS. Stateless; the static methods are thread-safe.
 */
final class ForwardedHops {
    private ForwardedHops() {
    }

    /** The hops of the {@code X-Forwarded-For} values, in order (several header lines are one list, RFC 9110 §5.3). */
    static List<InetSocketAddress> xForwardedFor(List<String> values) {
        List<InetSocketAddress> hops = new ArrayList<>();
        for (String value : values) {
            for (String item : value.split(",")) {
                String t = item.trim();
                if (!t.isEmpty()) {
                    hops.add(node(t));
                }
            }
        }
        return hops;
    }

    /** The {@code for=} of each element of the {@code Forwarded} values, in order. */
    static List<InetSocketAddress> forwarded(List<String> values) {
        List<InetSocketAddress> hops = new ArrayList<>();
        for (String value : values) {
            for (String element : split(value, ',')) {
                if (element.isBlank()) {
                    continue;
                }
                InetSocketAddress hop = null;
                for (String pair : split(element, ';')) {
                    int eq = pair.indexOf('=');
                    if (eq > 0 && pair.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("for")) {
                        hop = node(unquote(pair.substring(eq + 1).trim()));
                    }
                }
                hops.add(hop);
            }
        }
        return hops;
    }

    /**
     * One node: {@code 192.0.2.7}, {@code 192.0.2.7:4711}, {@code [2001:db8::1]}, {@code [2001:db8::1]:4711}, or a
     * bare {@code 2001:db8::1} (as {@code X-Forwarded-For} writes IPv6); null when it is no IP address. A port that
     * is not a number (an obfuscated one) is left out.
     */
    static InetSocketAddress node(String text) {
        String host = text;
        String port = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (rest.startsWith(":")) {
                port = rest.substring(1);
            } else if (!rest.isEmpty()) {
                return null;
            }
        } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
            host = text.substring(0, text.indexOf(':'));
            port = text.substring(text.indexOf(':') + 1);
        }
        byte[] address = NetUtil.createByteArrayFromIpAddressString(host);
        if (address == null) {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(address), port(port));
        } catch (UnknownHostException e) {
            return null;   // cannot happen: the length is 4 or 16
        }
    }

    private static int port(String text) {
        if (text == null || !text.matches("[0-9]{1,5}")) {
            return 0;
        }
        int p = Integer.parseInt(text);
        return p <= 65_535 ? p : 0;
    }

    /** Splits at {@code separator} outside quoted strings (RFC 9110 §5.6.4), with backslash escapes inside them. */
    private static List<String> split(String value, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted && c == '\\' && i + 1 < value.length()) {
                current.append(c).append(value.charAt(++i));
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            } else if (c == separator && !quoted) {
                parts.add(current.toString());
                current.setLength(0);
                continue;
            }
            current.append(c);
        }
        parts.add(current.toString());
        return parts;
    }

    private static String unquote(String value) {
        if (value.length() < 2 || value.charAt(0) != '"' || value.charAt(value.length() - 1) != '"') {
            return value;
        }
        StringBuilder b = new StringBuilder(value.length());
        for (int i = 1; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length() - 1) {
                c = value.charAt(++i);
            }
            b.append(c);
        }
        return b.toString();
    }
}
