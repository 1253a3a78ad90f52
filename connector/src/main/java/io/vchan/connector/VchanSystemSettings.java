package io.vchan.connector;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * What an actor system's vchan extension is built on, once: the platform, the
 * event-loop threads and, on xensim, which simulated host and domain. Read from
 * {@value #CONFIG_PATH} (see reference.conf); per-connection settings are
 * {@link VchanSettings}.
 */
public final class VchanSystemSettings {

    /** The configuration section both settings classes read. */
    public static final String CONFIG_PATH = "vchan";

    /** Where channels live. */
    public enum Platform {
        /** Xen where {@code /dev/xen/evtchn} exists; xensim if a xensim host is configured; else an error. */
        AUTO,
        /** Xen's own libraries, as the domain this JVM runs in. */
        XEN,
        /** The simulator shipped in the native-bridge jar. */
        XENSIM,
        /** Pure Java, both ends in this JVM: for tests. */
        IN_JVM
    }

    private final Platform platform;
    private final int eventLoopThreads;
    private final Optional<Path> xensimHostDir;
    private final Optional<Path> xensimLibraryDir;
    private final Optional<DomainId> xensimDomain;
    private final Optional<String> inJvmHost;

    private VchanSystemSettings(Platform platform, int eventLoopThreads, Optional<Path> xensimHostDir,
            Optional<Path> xensimLibraryDir, Optional<DomainId> xensimDomain, Optional<String> inJvmHost) {
        this.platform = Objects.requireNonNull(platform, "platform");
        if (eventLoopThreads <= 0) {
            throw new IllegalArgumentException("vchan.event-loop-threads must be positive, not " + eventLoopThreads);
        }
        this.eventLoopThreads = eventLoopThreads;
        this.xensimHostDir = xensimHostDir;
        this.xensimLibraryDir = xensimLibraryDir;
        this.xensimDomain = xensimDomain;
        this.inJvmHost = inJvmHost;
    }

    /**
     * Reads the {@value #CONFIG_PATH} section itself.
     *
     * @param section the {@code vchan} section, e.g. {@code config.getConfig("vchan")}
     * @return the settings
     * @throws IllegalArgumentException if a value is invalid
     */
    public static VchanSystemSettings create(Config section) {
        Config x = section.getConfig("xensim");
        String domain = x.getString("domain");
        return new VchanSystemSettings(
                parsePlatform(section.getString("platform")),
                section.getInt("event-loop-threads"),
                path(x.getString("host-dir")),
                path(x.getString("library-dir")),
                domain.equals("auto") ? Optional.empty() : Optional.of(DomainId.of(parseDomain(domain))),
                Optional.of(section.getString("in-jvm.host")).filter(h -> !h.isBlank()));
    }

    /**
     * Reads the {@value #CONFIG_PATH} section of the system's configuration.
     *
     * @param system the actor system
     * @return the settings
     */
    public static VchanSystemSettings create(ClassicActorSystemProvider system) {
        return create(system.classicSystem().settings().config().getConfig(CONFIG_PATH));
    }

    private static Platform parsePlatform(String s) {
        return switch (s) {
            case "auto" -> Platform.AUTO;
            case "xen" -> Platform.XEN;
            case "xensim" -> Platform.XENSIM;
            case "in-jvm" -> Platform.IN_JVM;
            default -> throw new IllegalArgumentException(
                    "vchan.platform must be auto, xen, xensim or in-jvm, not '" + s + "'");
        };
    }

    private static int parseDomain(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("vchan.xensim.domain must be auto or a domain id, not '" + s + "'");
        }
    }

    private static Optional<Path> path(String s) {
        return s.isBlank() ? Optional.empty() : Optional.of(Path.of(s));
    }

    /** @return the platform asked for ({@link Platform#AUTO} is resolved when the extension starts) */
    public Platform platform() {
        return platform;
    }

    /** @return threads that wait on event channels for all endpoints of the system */
    public int eventLoopThreads() {
        return eventLoopThreads;
    }

    /** @return the simulated host's directory, if configured ({@code XENSIM_DIR} feeds the default) */
    public Optional<Path> xensimHostDir() {
        return xensimHostDir;
    }

    /** @return where xensim's libraries are, if not taken from the native-bridge jar */
    public Optional<Path> xensimLibraryDir() {
        return xensimLibraryDir;
    }

    /** @return the domain this JVM is on xensim, if configured ({@code XENSIM_DOMID} feeds the default) */
    public Optional<DomainId> xensimDomain() {
        return xensimDomain;
    }

    /**
     * @return the in-JVM host this system shares with others of the same name in this JVM; empty: a host of
     *         its own
     */
    public Optional<String> inJvmHost() {
        return inJvmHost;
    }

    @Override
    public String toString() {
        return "VchanSystemSettings(platform=" + platform + ", eventLoopThreads=" + eventLoopThreads
                + ", xensimHostDir=" + xensimHostDir + ", xensimLibraryDir=" + xensimLibraryDir
                + ", xensimDomain=" + xensimDomain + ", inJvmHost=" + inJvmHost + ")";
    }
}
