package io.vchan.connector;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.annotation.InternalApi;
import org.junit.jupiter.api.Test;

/**
 * The boundary a user sees: the API package's public signatures name only API
 * types (its own, the JDK's, Pekko's, Config), never the connector's internals
 * or the native bridge; and every public type of the internals says it is
 * internal. The build fails on a signature that leaks.
 */
class PublicApiBoundaryTest {

    private static final String API = "io.vchan.connector";

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(API);

    /** Types a user of the API package must never meet. */
    private static boolean internal(JavaClass c) {
        return c.getPackageName().startsWith(API + ".impl") || c.getPackageName().startsWith("io.vchan.bridge");
    }

    private static final DescribedPredicate<JavaMember> VISIBLE_IN_API = new DescribedPredicate<>(
            "are public or protected members of public types in " + API) {
        @Override
        public boolean test(JavaMember m) {
            JavaClass owner = m.getOwner();
            return owner.getPackageName().equals(API) && owner.getModifiers().contains(JavaModifier.PUBLIC)
                    && (m.getModifiers().contains(JavaModifier.PUBLIC)
                            || m.getModifiers().contains(JavaModifier.PROTECTED))
                    && !m.getModifiers().contains(JavaModifier.SYNTHETIC);
        }
    };

    private static final ArchCondition<JavaMember> NAME_ONLY_API_TYPES = new ArchCondition<>(
            "name no type of " + API + ".impl or io.vchan.bridge in their signature") {
        @Override
        public void check(JavaMember m, ConditionEvents events) {
            Set<JavaClass> involved = new HashSet<>();
            if (m instanceof JavaCodeUnit u) {
                involved.addAll(u.getReturnType().getAllInvolvedRawTypes());
                u.getParameterTypes().forEach(t -> involved.addAll(t.getAllInvolvedRawTypes()));
                u.getThrowsClause().getTypes().forEach(involved::add);
            } else if (m instanceof JavaField f) {
                involved.addAll(f.getType().getAllInvolvedRawTypes());
            }
            involved.stream().filter(PublicApiBoundaryTest::internal).forEach(c -> events.add(
                    SimpleConditionEvent.violated(m, m.getFullName() + " names " + c.getName())));
        }
    };

    @Test
    void publicSignaturesOfTheApiPackageNameNoInternalType() {
        members().that(VISIBLE_IN_API).should(NAME_ONLY_API_TYPES).check(CLASSES);
    }

    @Test
    void publicApiTypesExtendAndImplementNoInternalType() {
        classes().that().resideInAPackage(API).and().arePublic()
                .should(new ArchCondition<JavaClass>("have no internal supertype") {
                    @Override
                    public void check(JavaClass c, ConditionEvents events) {
                        c.getAllRawSuperclasses().stream().filter(PublicApiBoundaryTest::internal)
                                .forEach(s -> events.add(SimpleConditionEvent.violated(c,
                                        c.getName() + " extends " + s.getName())));
                        c.getAllRawInterfaces().stream().filter(PublicApiBoundaryTest::internal)
                                .forEach(s -> events.add(SimpleConditionEvent.violated(c,
                                        c.getName() + " implements " + s.getName())));
                    }
                })
                .check(CLASSES);
    }

    @Test
    void everyPublicInternalTypeIsMarkedInternal() {
        classes().that().resideInAPackage(API + ".impl..").and().arePublic().and().areTopLevelClasses()
                .should().beAnnotatedWith(InternalApi.class)
                .check(CLASSES);
    }
}
