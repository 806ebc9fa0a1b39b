package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * A header edit's value, parsed once when the file is read: literal text with {@code ${variable}} references.
 * The value is {@code literals[0] + variables[0] + literals[1] + ... + literals[n]}, so there is always one literal
 * more than there are variables (literals may be empty). Immutable.
 *
 * @param text the value as written in the file
 */
public record HeaderValue(String text, List<String> literals, List<HeaderVariable> variables) {
    public HeaderValue {
        requireNonNull(text, "text");
        literals = List.copyOf(literals);
        variables = List.copyOf(variables);
        if (literals.size() != variables.size() + 1) {
            throw new IllegalArgumentException("one literal more than variables expected");
        }
    }

    /**
     * Parses {@code text}. A {@code $} not followed by {@code {} is literal.
     *
     * @throws IllegalArgumentException naming what is wrong: an unknown variable, an unclosed {@code ${}, or a
     *     character a header value may not hold
     */
    public static HeaderValue parse(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            // field-value characters (RFC 9110 §5.5), ASCII only: no CR, LF or NUL can split or end a header
            if (c != '\t' && (c < 0x20 || c > 0x7e)) {
                throw new IllegalArgumentException("may hold only printable ASCII characters, spaces and tabs");
            }
        }
        List<String> literals = new ArrayList<>();
        List<HeaderVariable> variables = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            int open = text.indexOf("${", i);
            if (open < 0) {
                literal.append(text, i, text.length());
                break;
            }
            int close = text.indexOf('}', open + 2);
            if (close < 0) {
                throw new IllegalArgumentException("'${' at " + open + " is not closed by '}'");
            }
            String name = text.substring(open + 2, close);
            HeaderVariable variable = HeaderVariable.fromConfigName(name).orElseThrow(() ->
                    new IllegalArgumentException("'${" + name + "}' is not a variable; use one of "
                            + HeaderVariable.allNames()));
            literal.append(text, i, open);
            literals.add(literal.toString());
            literal.setLength(0);
            variables.add(variable);
            i = close + 1;
        }
        literals.add(literal.toString());
        return new HeaderValue(text, literals, variables);
    }

    /** A value without variables. */
    public boolean isLiteral() {
        return variables.isEmpty();
    }
}
