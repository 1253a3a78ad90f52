package io.vchan.connector;

import com.typesafe.config.Config;
import io.vchan.bridge.ring.RingOrders;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * Settings of one vchan connection, read from {@value VchanSystemSettings#CONFIG_PATH}
 * in the configuration (see reference.conf for what each means) and changed per
 * connection with the {@code withX} methods. Immutable; every value is checked
 * when it is set. What is chosen once per actor system (the platform, the
 * event-loop threads) is in {@link VchanSystemSettings}.
 */
public final class VchanSettings {

    private OptionalInt localDomain;
    private int readRingSize;
    private int writeRingSize;
    private int writeBufferSize;
    private int readChunkSize;
    private boolean halfClose;
    private Optional<Duration> connectTimeout;
    private Optional<Duration> idleTimeout;
    private int spinBeforeSleep;
    private String blockingDispatcher;

    private VchanSettings() {
    }

    /** A copy to change one value of: the {@code withX} methods' start. */
    private VchanSettings copy() {
        VchanSettings s = new VchanSettings();
        s.localDomain = localDomain;
        s.readRingSize = readRingSize;
        s.writeRingSize = writeRingSize;
        s.writeBufferSize = writeBufferSize;
        s.readChunkSize = readChunkSize;
        s.halfClose = halfClose;
        s.connectTimeout = connectTimeout;
        s.idleTimeout = idleTimeout;
        s.spinBeforeSleep = spinBeforeSleep;
        s.blockingDispatcher = blockingDispatcher;
        return s;
    }

    /**
     * Reads the {@value VchanSystemSettings#CONFIG_PATH} section itself.
     *
     * @param section the {@code vchan} section, e.g. {@code config.getConfig("vchan")}
     * @return the settings
     * @throws IllegalArgumentException if a value is invalid
     */
    public static VchanSettings create(Config section) {
        String domain = section.getString("local-domain");
        VchanSettings s = new VchanSettings();
        s.localDomain = domain.equals("auto") ? OptionalInt.empty() : OptionalInt.of(domainId(domain));
        s.readRingSize = ringSize("read-ring-size", bytes(section, "read-ring-size"));
        s.writeRingSize = ringSize("write-ring-size", bytes(section, "write-ring-size"));
        s.writeBufferSize = positive("write-buffer-size", bytes(section, "write-buffer-size"));
        s.readChunkSize = positive("read-chunk-size", bytes(section, "read-chunk-size"));
        s.halfClose = section.getBoolean("half-close");
        s.connectTimeout = timeout(section, "connect-timeout", "infinite");
        s.idleTimeout = timeout(section, "idle-timeout", "off");
        s.spinBeforeSleep = spins(section.getInt("spin-before-sleep"));
        s.blockingDispatcher = Objects.requireNonNull(section.getString("blocking-dispatcher"));
        return s;
    }

    /**
     * Reads the {@value VchanSystemSettings#CONFIG_PATH} section of the system's configuration.
     *
     * @param system the actor system
     * @return the settings
     */
    public static VchanSettings create(ClassicActorSystemProvider system) {
        return create(system.classicSystem().settings().config().getConfig(VchanSystemSettings.CONFIG_PATH));
    }

    private static int domainId(String s) {
        try {
            return DomainId.of(Integer.parseInt(s.trim())).value();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("vchan.local-domain must be auto or a domain id, not '" + s + "'");
        }
    }

    private static int bytes(Config c, String key) {
        long v = c.getBytes(key);
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("vchan." + key + " is too large: " + v);
        }
        return (int) v;
    }

    /** A duration, or {@code none} (the word that means "no timeout") for empty. */
    private static Optional<Duration> timeout(Config c, String key, String none) {
        String raw = c.getValue(key).unwrapped().toString();
        if (raw.equals(none) || raw.equals("off") || raw.equals("false")) {
            return Optional.empty();
        }
        Duration d = c.getDuration(key);
        if (d.isZero() && none.equals("off")) {
            return Optional.empty(); // an idle timeout of 0 has always meant none
        }
        return Optional.of(positiveDuration(key, d));
    }

    private static int ringSize(String key, int v) {
        if (v < 0 || v > RingOrders.MAX_SIZE) {
            throw new IllegalArgumentException(key + " must be in 0.." + RingOrders.MAX_SIZE + " (1 MiB), not " + v);
        }
        return v;
    }

    private static int positive(String key, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(key + " must be positive, not " + v);
        }
        return v;
    }

    private static int spins(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("spin-before-sleep must be >= 0, not " + v);
        }
        return v;
    }

    private static Duration positiveDuration(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(key + " must be a positive duration, not " + d);
        }
        return d;
    }

    /** @return the domain to act as, or empty for the platform's own */
    public OptionalInt localDomain() {
        return localDomain;
    }

    /** @return the smallest read ring a server asks for, in bytes */
    public int readRingSize() {
        return readRingSize;
    }

    /** @return the smallest write ring a server asks for, in bytes */
    public int writeRingSize() {
        return writeRingSize;
    }

    /** @return bytes from upstream the stage holds while the ring is full */
    public int writeBufferSize() {
        return writeBufferSize;
    }

    /** @return the largest chunk handed downstream at once */
    public int readChunkSize() {
        return readChunkSize;
    }

    /** @return on upstream completion: true shuts down writing only, false closes the channel */
    public boolean halfClose() {
        return halfClose;
    }

    /** @return how long a client waits for its server; empty: for ever */
    public Optional<Duration> connectTimeout() {
        return connectTimeout;
    }

    /** @return how long a connection may move no bytes before it fails; empty: no limit */
    public Optional<Duration> idleTimeout() {
        return idleTimeout;
    }

    /** @return times the ring is re-checked before arming a notification and sleeping */
    public int spinBeforeSleep() {
        return spinBeforeSleep;
    }

    /** @return the dispatcher for set-up and release calls */
    public String blockingDispatcher() {
        return blockingDispatcher;
    }

    /**
     * @param domain the domain to act as, where the platform allows it (xensim, in-JVM)
     * @return a copy with that domain
     */
    public VchanSettings withLocalDomain(DomainId domain) {
        VchanSettings s = copy();
        s.localDomain = OptionalInt.of(domain.value());
        return s;
    }

    /**
     * @param domain the domain id to act as, where the platform allows it (xensim, in-JVM)
     * @return a copy with that domain
     */
    public VchanSettings withLocalDomain(int domain) {
        return withLocalDomain(DomainId.of(domain));
    }

    /**
     * @param bytes the smallest read ring a server asks for, up to 1 MiB
     * @return a copy with that size
     */
    public VchanSettings withReadRingSize(int bytes) {
        VchanSettings s = copy();
        s.readRingSize = ringSize("read-ring-size", bytes);
        return s;
    }

    /**
     * @param bytes the smallest write ring a server asks for, up to 1 MiB
     * @return a copy with that size
     */
    public VchanSettings withWriteRingSize(int bytes) {
        VchanSettings s = copy();
        s.writeRingSize = ringSize("write-ring-size", bytes);
        return s;
    }

    /**
     * @param bytes bytes from upstream held while the ring is full
     * @return a copy with that size
     */
    public VchanSettings withWriteBufferSize(int bytes) {
        VchanSettings s = copy();
        s.writeBufferSize = positive("write-buffer-size", bytes);
        return s;
    }

    /**
     * @param bytes the largest chunk handed downstream at once
     * @return a copy with that size
     */
    public VchanSettings withReadChunkSize(int bytes) {
        VchanSettings s = copy();
        s.readChunkSize = positive("read-chunk-size", bytes);
        return s;
    }

    /**
     * @param halfClose on upstream completion: true shuts down writing only, false closes
     * @return a copy with that choice
     */
    public VchanSettings withHalfClose(boolean halfClose) {
        VchanSettings s = copy();
        s.halfClose = halfClose;
        return s;
    }

    /**
     * @param timeout how long a client waits for its server, positive
     * @return a copy with that timeout
     */
    public VchanSettings withConnectTimeout(Duration timeout) {
        VchanSettings s = copy();
        s.connectTimeout = Optional.of(positiveDuration("connect-timeout", timeout));
        return s;
    }

    /** @return a copy whose clients wait for their server for ever */
    public VchanSettings withoutConnectTimeout() {
        VchanSettings s = copy();
        s.connectTimeout = Optional.empty();
        return s;
    }

    /**
     * @param timeout how long a connection may move no bytes before it fails, positive
     * @return a copy with that timeout
     */
    public VchanSettings withIdleTimeout(Duration timeout) {
        VchanSettings s = copy();
        s.idleTimeout = Optional.of(positiveDuration("idle-timeout", timeout));
        return s;
    }

    /** @return a copy whose connections may be idle for ever */
    public VchanSettings withoutIdleTimeout() {
        VchanSettings s = copy();
        s.idleTimeout = Optional.empty();
        return s;
    }

    /**
     * @param spins times the ring is re-checked before sleeping, 0 or more
     * @return a copy with that count
     */
    public VchanSettings withSpinBeforeSleep(int spins) {
        VchanSettings s = copy();
        s.spinBeforeSleep = spins(spins);
        return s;
    }

    /**
     * @param dispatcher the configuration path of the dispatcher for set-up and release calls
     * @return a copy with that dispatcher
     */
    public VchanSettings withBlockingDispatcher(String dispatcher) {
        VchanSettings s = copy();
        s.blockingDispatcher = Objects.requireNonNull(dispatcher, "blocking-dispatcher");
        return s;
    }

    @Override
    public String toString() {
        return "VchanSettings(localDomain=" + localDomain + ", readRingSize=" + readRingSize + ", writeRingSize="
                + writeRingSize + ", writeBufferSize=" + writeBufferSize + ", readChunkSize=" + readChunkSize
                + ", halfClose=" + halfClose + ", connectTimeout=" + connectTimeout + ", idleTimeout="
                + idleTimeout + ", spinBeforeSleep=" + spinBeforeSleep + ", blockingDispatcher="
                + blockingDispatcher + ")";
    }
}
