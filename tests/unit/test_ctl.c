#include "config.h"
#include "unit.h"
int main(void){return UNIT_DONE();}
