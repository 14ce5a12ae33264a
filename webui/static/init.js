// 'nhsuk-frontend' is mapped to the fingerprinted build by the import map in base.html.
import { initAll } from 'nhsuk-frontend'
initAll()
