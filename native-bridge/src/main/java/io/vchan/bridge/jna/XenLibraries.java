package io.vchan.bridge.jna;

import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds and registers Xen's libraries: the system ones on a Xen host, else
 * xensim's. The bindings are the same either way; only the files differ.
 * Registration happens once per JVM (JNA binds each class to one library).
 */
final class XenLibraries {

    /** Where xensim's libraries are, if not taken from the jar. */
    static final String XENSIM_DIR_PROPERTY = "vchan.xensim.libdir";
    private static final String RESOURCE_DIR = "xensim/linux-x86-64/";
    private static final List<String> XENSIM_FILES = List.of(
            "libxenevtchn.so.1", "libxengnttab.so.1", "libxenstore.so.4", "xensimd");

    private static Boolean loadedSimulated;

    private XenLibraries() {
    }

    /** Registers the bindings; true if they are xensim's. Later calls must agree. */
    static synchronized boolean load(boolean simulated, java.util.Optional<Path> libraryDir) {
        if (loadedSimulated != null) {
            if (loadedSimulated != simulated) {
                throw new IllegalStateException("Xen libraries already loaded as "
                        + (loadedSimulated ? "xensim" : "Xen") + "; one JVM uses one kind");
            }
            return simulated;
        }
        if (simulated) {
            Path dir = libraryDir.orElseGet(XenLibraries::xensimDir);
            NativeLibrary evtchn = NativeLibrary.getInstance(dir.resolve("libxenevtchn.so.1").toString());
            NativeLibrary gnttab = NativeLibrary.getInstance(dir.resolve("libxengnttab.so.1").toString());
            NativeLibrary store = NativeLibrary.getInstance(dir.resolve("libxenstore.so.4").toString());
            EvtchnLib.register(evtchn);
            GnttabLib.register(gnttab);
            XenStoreLib.register(store);
            XensimLib.register(evtchn, gnttab, store);
        } else {
            EvtchnLib.register(NativeLibrary.getInstance("libxenevtchn.so.1"));
            GnttabLib.register(NativeLibrary.getInstance("libxengnttab.so.1"));
            XenStoreLib.register(NativeLibrary.getInstance("libxenstore.so.4"));
        }
        loadedSimulated = simulated;
        return simulated;
    }

    /**
     * Points xensim's libraries at the host in {@code dir} (they read
     * {@code XENSIM_DIR} at each open). One host per JVM: a second, different
     * one is refused rather than moving channels already open.
     */
    static synchronized void useXensimHost(java.util.Optional<Path> dir) {
        if (dir.isEmpty()) {
            return;
        }
        String wanted = dir.get().toString();
        if (hostSet != null) {
            if (!hostSet.equals(wanted)) {
                throw new IllegalStateException("this JVM already uses the xensim host " + hostSet
                        + "; one JVM uses one host, not also " + wanted);
            }
            return;
        }
        if (!wanted.equals(System.getenv("XENSIM_DIR")) && LibC.setenv("XENSIM_DIR", wanted, 1) != 0) {
            throw new IllegalStateException("cannot set XENSIM_DIR to " + wanted);
        }
        hostSet = wanted;
    }

    private static String hostSet;

    /** True on a Xen host: the event-channel device is there. */
    static boolean xenPresent() {
        return Files.exists(Path.of("/dev/xen/evtchn"));
    }

    private static Path xensimDir() {
        String configured = System.getProperty(XENSIM_DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return extractFromJar();
    }

    /** Copies the libraries and the daemon into one temp dir: the libraries find xensimd beside them. */
    private static Path extractFromJar() {
        try {
            Path dir = Files.createTempDirectory("xensim-");
            for (String name : XENSIM_FILES) {
                try (InputStream in = XenLibraries.class.getClassLoader()
                        .getResourceAsStream(RESOURCE_DIR + name)) {
                    if (in == null) {
                        throw new IllegalStateException("xensim is not in this jar (missing "
                                + RESOURCE_DIR + name + "); set -D" + XENSIM_DIR_PROPERTY);
                    }
                    Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.setPosixFilePermissions(dir.resolve("xensimd"), PosixFilePermissions.fromString("rwx------"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir), "xensim-cleanup"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract xensim", e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }
}
