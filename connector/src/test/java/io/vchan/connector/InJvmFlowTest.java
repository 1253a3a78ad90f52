package io.vchan.connector;

/** The flow contract over the in-JVM platform. */
class InJvmFlowTest extends VchanFlowContract {
    @Override
    TestPlatform platform() {
        return TestPlatform.IN_JVM;
    }
}
