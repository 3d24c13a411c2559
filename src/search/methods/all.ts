/**
 * Every search method: importing a method's file registers it. The order is
 * the order of help texts, grids and benchmark rows.
 */
import "./pcdarts.ts";
import "./darts1.ts";
import "./darts2.ts";
import "./random_ws.ts";
