// The strata executable: everything lives in StrataCommands.
import StrataCommands

StrataMain.run()
