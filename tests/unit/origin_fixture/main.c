/* The executable of the $ORIGIN fixture: needs libkregorigin.so from ../lib. */
int kreg_origin_answer(void);

int main(void) { return kreg_origin_answer() == 42 ? 0 : 1; }
