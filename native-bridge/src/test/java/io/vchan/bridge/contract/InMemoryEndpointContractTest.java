package io.vchan.bridge.contract;

import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.xen.XenPlatform;

/** The endpoint contract over the in-JVM platform: the same protocol code, grants as direct buffers. */
class InMemoryEndpointContractTest extends VchanEndpointContract {

    private InMemoryPlatform platform;

    @Override
    XenPlatform openPlatform() {
        platform = new InMemoryPlatform();
        return platform;
    }

    @Override
    Object resources() {
        return platform.resources();
    }
}
