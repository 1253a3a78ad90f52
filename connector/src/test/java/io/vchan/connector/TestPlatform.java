package io.vchan.connector;

import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.xen.XenException;
import java.io.UncheckedIOException;

/** The platforms every contract runs on, and how to see what each holds (for leak checks). */
enum TestPlatform {
    IN_JVM("in-jvm"),
    XENSIM("xensim");

    final String configName;

    TestPlatform(String configName) {
        this.configName = configName;
    }

    /** Everything the platform holds now: comparable with equals. */
    Object resources(Vchan vchan) {
        if (vchan.runtime().platform() instanceof InMemoryPlatform p) {
            return p.resources();
        }
        try {
            return ((JnaPlatform) vchan.runtime().platform()).xensimStats();
        } catch (XenException e) {
            throw new UncheckedIOException(e);
        }
    }
}
