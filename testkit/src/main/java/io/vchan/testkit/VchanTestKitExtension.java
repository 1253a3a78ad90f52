package io.vchan.testkit;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For JUnit 5, beside Pekko's {@code TestKitJUnit5Extension} (which shuts the
 * actor test kits down after all tests): before each test, every
 * {@link VchanTestKit} field of the test instance records its baseline; after
 * each, it asserts that the test left nothing behind.
 *
 * <pre>{@code
 * @ExtendWith(TestKitJUnit5Extension.class)
 * @ExtendWith(VchanTestKitExtension.class)
 * @TestInstance(TestInstance.Lifecycle.PER_CLASS)
 * class GuestAgentTest {
 *     @JUnit5TestKit
 *     ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(VchanTestKit.config("t")).build();
 *     VchanTestKit vchan = VchanTestKit.create(testKit.system(), DomainId.DOM0, DomainId.of(1));
 * }
 * }</pre>
 */
public final class VchanTestKitExtension implements BeforeEachCallback, AfterEachCallback {

    @Override
    public void beforeEach(ExtensionContext context) {
        kits(context).forEach(VchanTestKit::recordBaseline);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        kits(context).forEach(VchanTestKit::assertNoLeaks);
    }

    private static List<VchanTestKit> kits(ExtensionContext context) {
        Object instance = context.getRequiredTestInstance();
        List<VchanTestKit> kits = new ArrayList<>();
        for (Class<?> c = instance.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (VchanTestKit.class.isAssignableFrom(f.getType())) {
                    try {
                        f.setAccessible(true);
                        if (f.get(instance) instanceof VchanTestKit kit) {
                            kits.add(kit);
                        }
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException("cannot read the VchanTestKit field " + f, e);
                    }
                }
            }
        }
        return kits;
    }
}
