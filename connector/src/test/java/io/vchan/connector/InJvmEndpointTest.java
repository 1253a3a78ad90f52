package io.vchan.connector;

/** The endpoint contract over the in-JVM platform. */
class InJvmEndpointTest extends VchanEndpointContract {
    @Override
    TestPlatform platform() {
        return TestPlatform.IN_JVM;
    }
}
