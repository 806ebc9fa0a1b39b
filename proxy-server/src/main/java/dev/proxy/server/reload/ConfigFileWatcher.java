package dev.proxy.server.reload;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls back when the content of a file changes: the config file, or the listener's certificates. Watches the
 * directories that hold the files (and the ones they resolve to, when they are symlinks), not the files: editors replace files by renaming, and Kubernetes updates a
 * mounted ConfigMap by swapping the {@code ..data} symlink in that directory, neither of which a watch on the file
 * itself would see. Events are let settle for {@link #QUIET_MILLIS} (a swap is several renames), then the contents
 * are compared with the last seen, so a touch or an unrelated file does not call back. One daemon thread.
 */
public final class ConfigFileWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigFileWatcher.class);
    static final long QUIET_MILLIS = 100;

    private final List<Path> files;
    private final Runnable onChange;
    private final WatchService watcher;
    private final Thread thread;
    private List<byte[]> lastContents;

    private ConfigFileWatcher(List<Path> files, Runnable onChange, String threadName) throws IOException {
        this.files = files.stream().map(Path::toAbsolutePath).toList();
        this.onChange = requireNonNull(onChange, "onChange");
        this.watcher = this.files.get(0).getFileSystem().newWatchService();
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path f : this.files) {
            dirs.add(f.getParent());
            dirs.add(f.toRealPath().getParent());
        }
        for (Path dir : dirs) {
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        }
        this.lastContents = read();
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
    }

    /** Starts watching the config {@code file}; {@code onChange} runs on the watcher's thread. */
    public static ConfigFileWatcher start(Path file, Runnable onChange) throws IOException {
        return start(List.of(file), onChange, "config-watch");
    }

    /** Starts watching {@code files}; {@code onChange} runs on the watcher's thread when any of them changed. */
    public static ConfigFileWatcher start(List<Path> files, Runnable onChange, String threadName)
            throws IOException {
        ConfigFileWatcher w = new ConfigFileWatcher(files, onChange, threadName);
        w.thread.start();
        return w;
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                drain(key);
                // let a burst (a symlink swap, an editor's save) settle before reading
                WatchKey more;
                while ((more = watcher.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS)) != null) {
                    drain(more);
                }
                List<byte[]> contents = read();
                if (contents != null && !same(contents, lastContents)) {
                    lastContents = contents;
                    try {
                        onChange.run();
                    } catch (RuntimeException e) {
                        log.warn("reloading {} after a change failed", files, e);
                    }
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    /** The files' bytes, or null while one is missing (between the steps of a swap). */
    private List<byte[]> read() {
        List<byte[]> contents = new ArrayList<>();
        for (Path f : files) {
            try {
                contents.add(Files.readAllBytes(f));
            } catch (IOException e) {
                return null;
            }
        }
        return contents;
    }

    private static boolean same(List<byte[]> a, List<byte[]> b) {
        if (b == null || a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            log.debug("closing the watch of {}", files, e);
        }
        thread.interrupt();
    }
}
