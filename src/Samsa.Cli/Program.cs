// The kafka-*.sh tools arrive with the tools issue; until then this says so plainly.
Console.Error.WriteLine("Samsa.Cli: the command-line tools are not built yet (see issue 7).");
return 1;
