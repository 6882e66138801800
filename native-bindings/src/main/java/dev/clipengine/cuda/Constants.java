package dev.clipengine.cuda;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.TreeMap;

/** Builds value → C name tables from the {@code public static final int} constants of a bindings class. */
final class Constants {

    private Constants() {
    }

    static Map<Integer, String> names(Class<?> owner, String... prefixes) {
        Map<Integer, String> out = new TreeMap<>();
        for (Field f : owner.getDeclaredFields()) {
            int m = f.getModifiers();
            if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || f.getType() != int.class) continue;
            for (String p : prefixes) {
                if (f.getName().startsWith(p)) {
                    try {
                        String previous = out.putIfAbsent(f.getInt(null), f.getName());
                        if (previous != null) {
                            throw new IllegalStateException(owner.getSimpleName() + ": " + previous + " and "
                                    + f.getName() + " share the value " + f.getInt(null));
                        }
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                    break;
                }
            }
        }
        return Map.copyOf(out);
    }
}
