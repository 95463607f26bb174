/*
 * fuel.h: the cost table. Fuel is charged, deterministically, for the
 * WebAssembly instructions a call runs: every instruction costs
 * FUEL_INSTR; bulk operations add a cost per unit of work; entering a
 * function adds a cost per declared local (zeroing them is work).
 *
 * Charging is folded per straight-line chain of code at compile time (see
 * compile.c, "fuel"): entering a function or taking a branch charges, at
 * once, every instruction from there to the next unconditional transfer
 * of control. A trap in the middle of a chain keeps the whole charge. The
 * count therefore depends only on the module and the path taken, never on
 * the machine, the compiler or its optimisation level.
 */
#ifndef KW_FUEL_H
#define KW_FUEL_H

#define FUEL_INSTR 1u           /* each wasm instruction */
#define FUEL_LOCALS_PER 16u     /* + 1 per started 16 declared locals on entry */
#define FUEL_BULK_BYTES 64u     /* memory.fill/copy/init: + 1 per started 64 bytes */
#define FUEL_GROW_PAGE 16u      /* memory.grow: + 16 per page asked for */
#define FUEL_TABLE_ELEMS 8u     /* table.grow/fill/copy/init: + 1 per started 8 elements */

#endif
