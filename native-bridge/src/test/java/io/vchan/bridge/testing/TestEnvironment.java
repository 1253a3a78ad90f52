package io.vchan.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the build put what tests run: xensim ({@code vchan.xensim.libdir}),
 * Debian's Xen packages ({@code xen.root}, unpacked by fetch-xen.sh) and the
 * test programs ({@code test.bin}). Set by Surefire from the module's pom.
 */
public final class TestEnvironment {

    private TestEnvironment() {
    }

    public static Path xensimLibDir() {
        return required("vchan.xensim.libdir");
    }

    /** Our libxenctrl stand-in, for vchan-socket-proxy's client mode. */
    public static Path xensimXenctrlDir() {
        return xensimLibDir().resolve("xenctrl");
    }

    public static Path xenRoot() {
        return required("xen.root");
    }

    /** Debian's library directory inside the unpacked packages. */
    public static Path debianLibDir() {
        try {
            return Path.of(Files.readString(xenRoot().resolve("libdir")).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("Debian's Xen packages are not unpacked; run the Maven build", e);
        }
    }

    public static Path vchanSocketProxy() {
        return xenRoot().resolve("root/usr/lib/xen-4.17/bin/vchan-socket-proxy");
    }

    public static Path testProgram(String name) {
        return required("test.bin").resolve(name);
    }

    private static Path required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property
                    + " is not set; run the tests through Maven (mvn verify)");
        }
        return Path.of(value);
    }
}
