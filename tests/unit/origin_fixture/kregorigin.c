/* The library of the $ORIGIN fixture (tests/CMakeLists.txt): found by its
   executable through "$ORIGIN/../lib", as OpenJDK's launcher finds libjli.so. */
int kreg_origin_answer(void) { return 42; }
