package io.vchan.connector;

import io.vchan.bridge.memory.InMemoryPlatform;
import org.junit.jupiter.api.TestInstance;

/** {@link Vchan#bind} over the in-JVM platform. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VchanBindInJvmTest extends VchanBindContract {

    VchanBindInJvmTest() {
        super("in-jvm");
    }

    @Override
    Object resources() {
        return ((InMemoryPlatform) vchan.runtime().platform()).resources();
    }
}
