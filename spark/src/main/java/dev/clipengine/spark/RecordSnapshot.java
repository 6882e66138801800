package dev.clipengine.spark;

import java.io.Serializable;
import java.lang.reflect.RecordComponent;

/**
 * A record's component values, serializable, to ship the engine's {@code SegmentOptions} and
 * {@code Vocabulary} (plain records, not {@link Serializable}) to the executors and rebuild them there
 * through their canonical constructors, so the executors validate and see exactly what the driver
 * parsed, whatever components those records gain later.
 */
final class RecordSnapshot<R extends Record> implements Serializable {

    private final Class<R> type;
    private final Object[] values;

    private RecordSnapshot(Class<R> type, Object[] values) {
        this.type = type;
        this.values = values;
    }

    @SuppressWarnings("unchecked")
    static <R extends Record> RecordSnapshot<R> of(R record) {
        RecordComponent[] cs = record.getClass().getRecordComponents();
        Object[] values = new Object[cs.length];
        for (int i = 0; i < cs.length; i++) {
            try {
                values[i] = cs[i].getAccessor().invoke(record);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + record.getClass().getSimpleName() + "." + cs[i].getName(), e);
            }
            if (values[i] != null && !(values[i] instanceof Serializable)) {
                throw new IllegalStateException(record.getClass().getSimpleName() + "." + cs[i].getName() + " ("
                        + values[i].getClass().getName() + ") cannot be sent to the executors: not Serializable");
            }
        }
        return new RecordSnapshot<>((Class<R>) record.getClass(), values);
    }

    R get() {
        RecordComponent[] cs = type.getRecordComponents();
        Class<?>[] types = new Class<?>[cs.length];
        for (int i = 0; i < cs.length; i++) types[i] = cs[i].getType();
        try {
            return type.getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot rebuild " + type.getSimpleName() + " on this executor", e);
        }
    }
}
