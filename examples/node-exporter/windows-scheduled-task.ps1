# Windows servers: windows_exporter's textfile collector reads *.prom from its textfile directory
# (default C:\Program Files\windows_exporter\textfile_inputs). This registers a task that runs the preflight every
# 15 minutes as SYSTEM and writes its metrics there.
$preflight = 'C:\Program Files\egress-preflight\dist\cli\main.js'
$textfile = 'C:\Program Files\windows_exporter\textfile_inputs\egress_preflight.prom'
$arguments = "`"$preflight`" run --config C:\ProgramData\egress-preflight\preflight.yaml " +
  "--json C:\ProgramData\egress-preflight\last.json --prometheus `"$textfile`""
$action = New-ScheduledTaskAction -Execute 'node.exe' -Argument $arguments
$trigger = New-ScheduledTaskTrigger -Once -At (Get-Date) -RepetitionInterval (New-TimeSpan -Minutes 15)
Register-ScheduledTask -TaskName 'egress-preflight' -Action $action -Trigger $trigger -User 'SYSTEM' -RunLevel Highest -Force
