/*
 * asserts.h - Criterion's new-style asserts, with gt() made strict.
 *
 * In Criterion 2.4.1, gt(Tag, a, b) on a tagged type (int, sz, dbl, ...)
 * is !(a < b), that is a >= b (criterion/internal/assert/op.h,
 * CRI_BINOP_T_GT): gt(int, 0, 0) passes. The suite includes this header,
 * never <criterion/new/assert.h> itself, and gt(Tag, a, b) is lt(Tag, b, a);
 * a failure prints it so, with its operands swapped.
 */
#ifndef IPCMP_SUITE_ASSERTS_H
#define IPCMP_SUITE_ASSERTS_H

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#define gt(Tag, Actual, Reference) lt(Tag, Reference, Actual)

#endif
