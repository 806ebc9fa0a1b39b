package dev.proxy.server.reload;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls back when the config file's content changes. Watches the directory that holds the file (and the one it
 * resolves to, when it is a symlink), not the file: editors replace files by renaming, and Kubernetes updates a
 * mounted ConfigMap by swapping the {@code ..data} symlink in that directory, neither of which a watch on the file
 * itself would see. Events are let settle for {@link #QUIET_MILLIS} (a swap is several renames), then the content
 * is compared with the last seen, so a touch or an unrelated file does not reload. One daemon thread.
 */
public final class ConfigFileWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigFileWatcher.class);
    static final long QUIET_MILLIS = 100;

    private final Path file;
    private final Runnable onChange;
    private final WatchService watcher;
    private final Thread thread;
    private byte[] lastContent;

    private ConfigFileWatcher(Path file, Runnable onChange) throws IOException {
        this.file = requireNonNull(file, "file").toAbsolutePath();
        this.onChange = requireNonNull(onChange, "onChange");
        this.watcher = this.file.getFileSystem().newWatchService();
        Set<Path> dirs = new LinkedHashSet<>();
        dirs.add(this.file.getParent());
        dirs.add(this.file.toRealPath().getParent());
        for (Path dir : dirs) {
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        }
        this.lastContent = read();
        this.thread = new Thread(this::run, "config-watch");
        thread.setDaemon(true);
    }

    /** Starts watching {@code file}; {@code onChange} runs on the watcher's thread. */
    public static ConfigFileWatcher start(Path file, Runnable onChange) throws IOException {
        ConfigFileWatcher w = new ConfigFileWatcher(file, onChange);
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
                byte[] content = read();
                if (content != null && !Arrays.equals(content, lastContent)) {
                    lastContent = content;
                    try {
                        onChange.run();
                    } catch (RuntimeException e) {
                        log.warn("reloading {} after a change failed", file, e);
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

    /** The file's bytes, or null while it is missing (between the steps of a swap). */
    private byte[] read() {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            log.debug("closing the watch of {}", file, e);
        }
        thread.interrupt();
    }
}
