package dev.proxy.server.reload;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * How a load of the config file ended.
 *
 * @param trigger what asked for it: {@code start}, {@code file}, {@code sighup}, {@code admin}
 * @param problems every problem of a rejected file, with its path; empty otherwise
 * @param diff what an applied file changed; empty when the file was rejected
 * @param generation the generation serving traffic after this load
 */
public record ReloadResult(Instant at, String trigger, Outcome outcome, List<String> problems,
                           Optional<ConfigDiff> diff, long generation) {
    /** What became of the file. */
    public enum Outcome {
        /** Valid and different: the proxy serves it now. */
        APPLIED,
        /** Valid and the same as the running config: nothing to do. */
        UNCHANGED,
        /** Invalid or unreadable: the running config keeps serving. */
        REJECTED
    }

    public ReloadResult {
        requireNonNull(at, "at");
        requireNonNull(trigger, "trigger");
        requireNonNull(outcome, "outcome");
        problems = List.copyOf(problems);
        requireNonNull(diff, "diff");
    }

    public boolean ok() {
        return outcome != Outcome.REJECTED;
    }
}
